// The admin HTTP endpoint: Prometheus metrics, liveness, readiness and service domains.
//   GET /metrics  Prometheus text format
//   GET /healthz  200 while the process is alive
//   GET /readyz   200 once the backend topology is known, every listener is bound and the
//                 policy store (when given) is ready, else 503
//   /v1/domains   the domain API (domain-routes.ts), when a policy store is given
//   /v1/zones     client zones and bytes by zone pair (zone-routes.ts), when zones are given
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { PolicyStore, PolicyStoreHealth } from '../policy/policy-store.js';
import { DomainRoutes, type DomainInsights } from './domain-routes.js';
import { handleZoneRoute, type ZoneInsights } from './zone-routes.js';

export interface ReadinessReport {
  ready: boolean;
  /** What is missing, for humans reading the 503 body. */
  reasons: string[];
  /** The policy store's health, when the server has a store. */
  policyStore?: PolicyStoreHealth;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => ReadinessReport;
  log: Logger;
  /** Serves /v1/domains and adds the store's health to /readyz. */
  policyStore?: PolicyStore;
  /** What routing knows of domains at run time (topics, groups, traffic) for /v1/domains/NAME. */
  domainInsights?: DomainInsights;
  /** Serves /v1/zones. */
  zones?: ZoneInsights;
}

export class AdminServer {
  private readonly opts: AdminServerOptions;
  private readonly server: http.Server;
  private readonly domains: DomainRoutes | null;

  constructor(opts: AdminServerOptions) {
    this.opts = opts;
    this.domains =
      opts.policyStore === undefined
        ? null
        : new DomainRoutes({ store: opts.policyStore, insights: opts.domainInsights, log: opts.log });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        opts.log.error({ err, path: req.url }, 'admin request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds the port; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The caller's readiness and, when there is a store, the store's. */
  readiness(): ReadinessReport {
    const report = this.opts.readiness();
    const store = this.opts.policyStore;
    if (store === undefined) return report;
    const health = store.health();
    const reasons = [...report.reasons];
    if (!health.ready) reasons.push(`policy store (${health.kind}) not ready: ${health.lastError ?? 'unknown reason'}`);
    return { ready: report.ready && health.ready, reasons, policyStore: health };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (this.domains !== null && (await this.domains.handle(req, res, path))) return;
    if (this.opts.zones !== undefined && handleZoneRoute(this.opts.zones, req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics': {
        const body = await this.opts.registry.metrics();
        res.writeHead(200, { 'content-type': this.opts.registry.contentType });
        res.end(body);
        return;
      }
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
        return;
      case '/readyz': {
        const report = this.readiness();
        res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify(report)}\n`);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
    }
  }
}
