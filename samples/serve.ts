import { createServer, type RequestListener, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` is the program node was asked to run, not an import. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && moduleUrl === pathToFileURL(entry).href;
}

/** Starts `listener` on `PORT` (default 8080) and says where; Ctrl-C ends open streams too. */
export function serve(listener: RequestListener, name: string): Server {
  const port = Number(process.env['PORT'] ?? 8080);
  const server = createServer(listener);
  server.listen(port, () => {
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    console.log(`${name}: http://localhost:${String(bound)}/`);
  });
  process.once('SIGINT', () => {
    server.closeAllConnections();
    server.close();
  });
  return server;
}

/** Sends a small HTML page. */
export function page(res: Parameters<RequestListener>[1], html: string): void {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(html);
}

/** A 404 for paths a sample does not serve. */
export function notFound(res: Parameters<RequestListener>[1]): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Not Found');
}
