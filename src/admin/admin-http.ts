// The HTTP server under an admin endpoint (a Turnout's own, or the primary's of several
// processes): a handler whose failure is logged and answered 500, binding, and closing
// without waiting for idle keep-alive connections.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.js';

export type AdminHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

export function createAdminHttpServer(handle: AdminHandler, log: Logger): http.Server {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'admin request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Binds the port; resolves with the bound port (useful with port 0). */
export function listenAdminHttp(server: http.Server, opts: { host: string; port: number; exclusive?: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, exclusive: opts.exclusive === true }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeAdminHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
