// The domain API of the admin endpoint:
//   GET /v1/domains          every domain: owner, backend, migration target, patterns
//   GET /v1/domains/NAME     one domain, plus the known topics and groups that resolve to it
//                            and its traffic counters (from routing, when it supplies them)
//   PUT /v1/domains/NAME     {"backend": "west"}: moves the domain, through the policy store
// Answers are JSON; errors are {"error": "..."} with 400 (bad body, unknown backend),
// 404 (unknown domain), 405, 409 (the domain has offset segments or a cutover in progress: it
// moves only by a cutover, /v1/cutovers), 413 (body over 64 KiB) or 503 (the store cannot be written).
import type http from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { PatternInput } from '../policy/name-pattern.js';
import type { DomainPolicy, PolicySnapshot } from '../policy/policy-snapshot.js';
import { PolicyChangeError, type PolicyStore } from '../policy/policy-store.js';
import { HttpError, parseJsonObject, readBody, sendJson } from './http-json.js';

/** What routing knows at run time; every part optional, an absent part shows as null. */
export interface DomainInsights {
  /** Topic names the virtual cluster has (routing's merged metadata). */
  knownTopics?: () => Iterable<string> | Promise<Iterable<string>>;
  /** Consumer group ids seen. */
  knownGroups?: () => Iterable<string> | Promise<Iterable<string>>;
  /** Counters of one domain's traffic by name (e.g. produceBytes, fetchRequests). */
  traffic?: (domain: string) => Readonly<Record<string, number>> | undefined;
}

export interface DomainRoutesOptions {
  store: PolicyStore;
  insights?: DomainInsights;
  log: Logger;
}

export interface DomainSummary {
  name: string;
  owner: string;
  backend: string;
  /** What the policy document says; differs from `backend` after a move through the API. */
  configuredBackend: string;
  migrationTarget: string | null;
  /** Receives names no pattern matches. */
  isDefault: boolean;
  /** Made up for a configuration without domains. */
  implicit: boolean;
  patterns: { topics: PatternInput[]; groups: PatternInput[]; transactionalIds: PatternInput[] };
}

export interface DomainDetail extends DomainSummary {
  /** Known topics that resolve to this domain, sorted; null when routing supplies no list. */
  topics: string[] | null;
  /** Known groups that resolve to this domain, sorted; null when routing supplies no list. */
  groups: string[] | null;
  traffic: Readonly<Record<string, number>> | null;
}

export interface DomainListResponse {
  version: number;
  defaultDomain: string | null;
  domains: DomainSummary[];
}

export interface DomainResponse {
  version: number;
  domain: DomainDetail;
}

export interface SetBackendResponse extends DomainResponse {
  previousBackend: string;
}

const PREFIX = '/v1/domains';

function summaryOf(snapshot: PolicySnapshot, d: DomainPolicy): DomainSummary {
  return {
    name: d.name,
    owner: d.owner,
    backend: d.backend,
    configuredBackend: d.configuredBackend,
    migrationTarget: d.migrationTarget,
    isDefault: snapshot.defaultDomain?.name === d.name,
    implicit: d.implicit,
    patterns: {
      topics: d.topics.map((p) => p.input),
      groups: d.groups.map((p) => p.input),
      transactionalIds: d.transactionalIds.map((p) => p.input),
    },
  };
}

export class DomainRoutes {
  private readonly opts: DomainRoutesOptions;

  constructor(opts: DomainRoutesOptions) {
    this.opts = opts;
  }

  /** Answers the request when its path is under /v1/domains; false otherwise. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    try {
      await this.route(req, res, path);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendJson(res, err.status, { error: err.message }, err.status === 405 ? { allow: allowed(path) } : {});
    }
    return true;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (path === PREFIX || path === `${PREFIX}/`) {
      if (!read) throw new HttpError(405, `${method} not allowed on ${PREFIX}`);
      sendJson(res, 200, this.list());
      return;
    }
    const rest = path.slice(PREFIX.length + 1);
    if (rest.includes('/')) throw new HttpError(404, `no such path: ${path}`);
    let name: string;
    try {
      name = decodeURIComponent(rest);
    } catch {
      throw new HttpError(400, 'domain name is not valid percent-encoding');
    }
    if (read) sendJson(res, 200, await this.detail(name));
    else if (method === 'PUT') sendJson(res, 200, await this.setBackend(name, await readBody(req)));
    else throw new HttpError(405, `${method} not allowed on ${PREFIX}/NAME`);
  }

  list(): DomainListResponse {
    const s = this.opts.store.current();
    return {
      version: s.version,
      defaultDomain: s.defaultDomain?.name ?? null,
      domains: [...s.domains.values()].map((d) => summaryOf(s, d)),
    };
  }

  async detail(name: string): Promise<DomainResponse> {
    const s = this.opts.store.current();
    const d = s.domains.get(name);
    if (d === undefined) throw new HttpError(404, `unknown domain ${JSON.stringify(name)}`);
    return { version: s.version, domain: await this.detailOf(s, d) };
  }

  private async detailOf(s: PolicySnapshot, d: DomainPolicy): Promise<DomainDetail> {
    const insights = this.opts.insights ?? {};
    const resolved = async (
      kind: 'topic' | 'group',
      known: (() => Iterable<string> | Promise<Iterable<string>>) | undefined,
    ): Promise<string[] | null> => {
      if (known === undefined) return null;
      const names: string[] = [];
      for (const n of await known()) {
        const r = s.resolve(kind, n);
        if (r.ok && r.domain.name === d.name) names.push(n);
      }
      return names.sort();
    };
    return {
      ...summaryOf(s, d),
      topics: await resolved('topic', insights.knownTopics),
      groups: await resolved('group', insights.knownGroups),
      traffic: insights.traffic?.(d.name) ?? null,
    };
  }

  private async setBackend(name: string, body: string): Promise<SetBackendResponse> {
    const before = this.opts.store.current().domains.get(name);
    if (before === undefined) throw new HttpError(404, `unknown domain ${JSON.stringify(name)}`);
    const backend = parseSetBackendBody(body);
    let s: PolicySnapshot;
    try {
      s = await this.opts.store.setDomainBackend(name, backend);
    } catch (err) {
      if (!(err instanceof PolicyChangeError)) throw err;
      const status = err.reason === 'unknown-domain' ? 404 : err.reason === 'unknown-backend' ? 400 : err.reason === 'cutover' ? 409 : 503;
      throw new HttpError(status, err.message);
    }
    this.opts.log.info({ domain: name, from: before.backend, to: backend, version: s.version }, 'domain backend set through the admin API');
    const d = s.domains.get(name);
    if (d === undefined) throw new HttpError(404, `unknown domain ${JSON.stringify(name)}`);
    return { version: s.version, previousBackend: before.backend, domain: await this.detailOf(s, d) };
  }
}

function parseSetBackendBody(body: string): string {
  const usage = 'expected a JSON body {"backend": "<backend name>"}';
  const value = parseJsonObject(body, usage);
  const extra = Object.keys(value).filter((k) => k !== 'backend');
  if (extra.length > 0) throw new HttpError(400, `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}: ${usage}`);
  const backend = (value as { backend?: unknown }).backend;
  if (typeof backend !== 'string' || backend === '') throw new HttpError(400, `"backend" must be a non-empty string: ${usage}`);
  return backend;
}

function allowed(path: string): string {
  return path === PREFIX || path === `${PREFIX}/` ? 'GET, HEAD' : 'GET, HEAD, PUT';
}
