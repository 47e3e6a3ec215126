# workerd's configuration for worker.ts, once bundled to worker.js next to this file (see worker.ts).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .counterWorker)],
  # `workerd serve worker.capnp --socket-addr http=127.0.0.1:PORT` listens elsewhere.
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const counterWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  # sse() brings its node:http door along, which imports node:zlib (for gzip): the bundle needs
  # nodejs_compat ("No such module" without it), which every compatibility date from 2026-08-04
  # turns on. With an earlier date, add: compatibilityFlags = ["nodejs_compat"],
  compatibilityDate = "2026-11-01",
  bindings = [(name = "HEARTBEAT_MS", fromEnvironment = "HEARTBEAT_MS")],
);
