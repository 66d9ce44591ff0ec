// The admin HTTP endpoint: Prometheus metrics, liveness, readiness and service domains.
//   GET /metrics  Prometheus text format
//   GET /healthz  200 while the process is alive
//   GET /readyz   200 once the backend topology is known, every listener is bound and the
//                 policy store (when given) is ready, else 503
//   /v1/domains   the domain API (domain-routes.ts), when a policy store is given
//   /v1/zones     client zones and bytes by zone pair (zone-routes.ts), when zones are given
//   /v1/acl       ACL bindings, domain grants and explain (acl-routes.ts), when acl is given
//   /v1/cutovers  cutovers of domains between backends (cutover-routes.ts), when cutovers are given
// Who may use /v1 is admin-auth.ts's decision (admin.auth); the other paths are always open.
import http from 'node:http';
import { closeAdminHttp, createAdminHttpServer, listenAdminHttp } from './admin-http.js';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { AclStoreHealth } from '../policy/acl-binding-store.js';
import type { AdminAuthConfig } from '../policy/admin-auth-schema.js';
import type { PolicyStore, PolicyStoreHealth } from '../policy/policy-store.js';
import { AclRoutes, type AclAdmin } from './acl-routes.js';
import { CutoverRoutes, type CutoverAdmin } from './cutover-routes.js';
import { AdminGate } from './admin-auth.js';
import { DomainRoutes, type DomainInsights } from './domain-routes.js';
import { sendJson } from './http-json.js';
import { handleZoneRoute, type ZoneInsights } from './zone-routes.js';

export interface ReadinessReport {
  ready: boolean;
  /** What is missing, for humans reading the 503 body. */
  reasons: string[];
  /** The policy store's health, when the server has a store. */
  policyStore?: PolicyStoreHealth;
  /** The ACL store's health, when authorization is on. */
  aclStore?: AclStoreHealth;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  /**
   * Bind the port for this process alone, even in a cluster worker (whose listens are
   * otherwise shared through the primary): a worker's own endpoint, which the primary's
   * admin port reaches. (default: false)
   */
  exclusivePort?: boolean;
  registry: Registry;
  readiness: () => ReadinessReport;
  log: Logger;
  /** Serves /v1/domains and adds the store's health to /readyz. */
  policyStore?: PolicyStore;
  /** What routing knows of domains at run time (topics, groups, traffic) for /v1/domains/NAME. */
  domainInsights?: DomainInsights;
  /** Serves /v1/zones. */
  zones?: ZoneInsights;
  /** Serves /v1/cutovers. */
  cutovers?: CutoverAdmin;
  /** Serves /v1/acl, and adds the ACL store's health to /readyz. */
  acl?: AclAdmin & { health?(): AclStoreHealth | null };
  /** `admin.auth`: the token /v1 needs; without it /v1 is read-only. */
  auth?: AdminAuthConfig;
  /** Environment to read `auth.tokenEnv` from. (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export class AdminServer {
  private readonly opts: AdminServerOptions;
  private readonly server: http.Server;
  private readonly domains: DomainRoutes | null;
  private readonly acl: AclRoutes | null;
  private readonly cutovers: CutoverRoutes | null;
  private readonly gate: AdminGate;

  /** Throws AdminTokenError when admin.auth names a token that cannot be read. */
  constructor(opts: AdminServerOptions) {
    this.opts = opts;
    this.gate = new AdminGate(opts.auth, opts.env);
    if (opts.auth === undefined && !isLoopback(opts.host)) {
      opts.log.warn(
        { host: opts.host },
        'admin endpoint reachable beyond loopback without admin.auth: its read API (domains, zones, ACLs) is open to whoever reaches it; changes are refused',
      );
    }
    this.acl = opts.acl === undefined ? null : new AclRoutes(opts.acl);
    this.cutovers = opts.cutovers === undefined ? null : new CutoverRoutes(opts.cutovers);
    this.domains =
      opts.policyStore === undefined
        ? null
        : new DomainRoutes({ store: opts.policyStore, insights: opts.domainInsights, log: opts.log });
    this.server = createAdminHttpServer((req, res) => this.handle(req, res), opts.log);
  }

  /** Binds the port; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return listenAdminHttp(this.server, { host: this.opts.host, port: this.opts.port, exclusive: this.opts.exclusivePort === true });
  }

  close(): Promise<void> {
    return closeAdminHttp(this.server);
  }

  /** The caller's readiness and, when there is a store, the store's. */
  readiness(): ReadinessReport {
    const report: ReadinessReport = { ...this.opts.readiness() };
    const reasons = [...report.reasons];
    const health = this.opts.policyStore?.health();
    if (health !== undefined) {
      report.policyStore = health;
      if (!health.ready) reasons.push(`policy store (${health.kind}) not ready: ${health.lastError ?? 'unknown reason'}`);
    }
    const acl = this.opts.acl?.health?.() ?? null;
    if (acl !== null) {
      report.aclStore = acl;
      if (!acl.ready) reasons.push(`ACL store (${acl.kind}) not ready: ${acl.lastError ?? 'unknown reason'}`);
    }
    return { ...report, ready: report.ready && reasons.length === report.reasons.length, reasons };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (path === '/v1' || path.startsWith('/v1/')) {
      const access = this.gate.check(req);
      if (!access.allowed) {
        sendJson(res, access.status, { error: access.message }, access.status === 401 ? { 'www-authenticate': 'Bearer realm="turnout-admin"' } : {});
        return;
      }
    }
    if (this.domains !== null && (await this.domains.handle(req, res, path))) return;
    if (this.acl !== null && (await this.acl.handle(req, res, path, url.searchParams))) return;
    if (this.cutovers !== null && (await this.cutovers.handle(req, res, path, url.searchParams))) return;
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
