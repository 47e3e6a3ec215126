// What every benchmark server process does alike: it listens the same way, tells the benchmark
// its port, exits when the benchmark is gone, and answers the same two measures over IPC.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

let cpuAtMark = process.cpuUsage();

/** CPU is counted from now (see {@link answerMeasure}'s `cpu`). */
export function markCpu(): void {
  cpuAtMark = process.cpuUsage();
}

/**
 * Answers a measure the benchmark asks every server for, and returns whether `cmd` was one:
 * `cpu`, the process's user + system CPU in ms since {@link markCpu} (or its start); `memory`,
 * its RSS in bytes after a full garbage collection (the process runs with `--expose-gc`).
 */
export function answerMeasure(cmd: string, reply: (value: unknown) => void): boolean {
  switch (cmd) {
    case 'cpu': {
      const { user, system } = process.cpuUsage(cpuAtMark);
      reply((user + system) / 1000);
      return true;
    }
    case 'memory':
      for (let i = 0; i < 4; i++) (globalThis as { gc?: () => void }).gc?.();
      setTimeout(() => {
        reply(process.memoryUsage().rss);
      }, 100);
      return true;
    default:
      return false;
  }
}

/**
 * Listens on 127.0.0.1, a free port, with node's timeouts off and the accept queue as deep as the
 * system allows (net.core.somaxconn; node asks for 511), then tells the benchmark `ready` with
 * the port. The process exits once the benchmark disconnects (it finished, or died).
 */
export function listenForBench(server: Server): void {
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.maxConnections = 100_000;
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.send?.({ cmd: 'ready', value: (server.address() as AddressInfo).port });
  });
  process.on('disconnect', () => process.exit(0));
}
