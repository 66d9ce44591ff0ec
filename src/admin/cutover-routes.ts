// The cutover API of the admin endpoint:
//   GET  /v1/cutovers                 every cutover, newest first (?domain=NAME: that domain's,
//                                     with its segment chains)
//   POST /v1/cutovers                 {"domain": "orders", "to"?: "west", "dryRun"?: true,
//                                     "drainTimeoutMs"?: 5000}: starts a cutover (202, the PLANNED
//                                     record) or, with dryRun, runs preflight only (200, the plan)
//   GET  /v1/cutovers/ID              one cutover: phase, when it entered each phase and how
//                                     long each lasted, the hold, switch points, rollback reason
//   POST /v1/cutovers/ID/abort        rolls it back ({"reason"?: "..."}); 409 once switched
//   POST /v1/cutovers/retire          {"domain": "orders", "segment": 1, "dryRun"?: true}: lists
//                                     the groups with committed offsets inside the segment, then
//                                     drops it from the domain's chains (not with dryRun)
//   POST /v1/cutovers/groups          {"domain": "orders"}: moves the domain's consumer groups from
//                                     the backend they stayed on to the domain's backend; answers
//                                     once they are moved (200) or the move was given up (409)
// Errors are {"error": "..."} with 400, 404, 405, 409 (a cutover already in progress, a
// switched one aborted), 413, 502 (a backend could not be asked) or 503 (the store cannot be
// written).
import type http from 'node:http';
import { CutoverBackendError } from '../policy/cutover-backends.js';
import { serializeDomainState, type SerializedDomainState } from '../policy/cutover-domain-state.js';
import { phaseDurations, type CutoverRecord } from '../policy/cutover-record.js';
import { CutoverConflictError, CutoverStoreError } from '../policy/cutover-store.js';
import type { CutoverPhase } from '../policy/cutover-phase.js';
import { CutoverRequestError, type CutoverCoordinator, type CutoverPlan, type RetireResult } from '../policy/cutover-coordinator.js';
import type { GroupsMoveResult } from '../policy/groups-move.js';
import { HttpError, parseJsonObject, readBody, sendJson } from './http-json.js';

/** What the routes need of the cutover machinery. */
export type CutoverAdmin = Pick<CutoverCoordinator, 'plan' | 'start' | 'abort' | 'get' | 'list' | 'retire'> & {
  /** A domain's segment chains, or undefined before its first cutover. */
  segmentsOf(domain: string): SerializedDomainState | undefined;
  /** Moves a domain's groups to its backend's coordinator. */
  moveGroups(domain: string): Promise<GroupsMoveResult>;
};

export interface CutoverView extends CutoverRecord {
  /** How long each finished phase lasted, and the hold (HOLDING to its end), in ms. */
  timings: { phases: Partial<Record<CutoverPhase, number>>; holdMs: number | null };
}

export interface CutoverListResponse {
  cutovers: CutoverView[];
  /** With ?domain=: the domain's segment chains (null before its first cutover). */
  segments?: SerializedDomainState | null;
}

export interface CutoverResponse {
  cutover: CutoverView;
}

export interface CutoverPlanResponse {
  plan: CutoverPlan;
}

const PREFIX = '/v1/cutovers';

export function cutoverView(r: CutoverRecord): CutoverView {
  return { ...r, timings: phaseDurations(r) };
}

export class CutoverRoutes {
  private readonly admin: CutoverAdmin;

  constructor(admin: CutoverAdmin) {
    this.admin = admin;
  }

  /** Answers the request when its path is under /v1/cutovers; false otherwise. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    try {
      await this.route(req, res, path, query);
    } catch (err) {
      const e = httpErrorOf(err);
      sendJson(res, e.status, { error: e.message });
    }
    return true;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    const rest = path === PREFIX || path === `${PREFIX}/` ? '' : path.slice(PREFIX.length + 1);
    if (rest === '') {
      if (read) sendJson(res, 200, this.list(query.get('domain')));
      else if (method === 'POST') await this.create(res, await readBody(req));
      else throw new HttpError(405, `${method} not allowed on ${PREFIX}`);
      return;
    }
    if (rest === 'retire') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${PREFIX}/retire`);
      sendJson(res, 200, await this.retire(await readBody(req)));
      return;
    }
    if (rest === 'groups') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${PREFIX}/groups`);
      sendJson(res, 200, await this.moveGroups(await readBody(req)));
      return;
    }
    const parts = rest.split('/');
    const id = decodeURIComponent(parts[0]);
    if (parts.length === 1) {
      if (!read) throw new HttpError(405, `${method} not allowed on ${PREFIX}/ID`);
      sendJson(res, 200, { cutover: cutoverView(this.admin.get(id)) } satisfies CutoverResponse);
      return;
    }
    if (parts.length === 2 && parts[1] === 'abort') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${PREFIX}/ID/abort`);
      const body = await readBody(req);
      const reason = body.trim() === '' ? undefined : optionalString(parseJsonObject(body, 'expected an empty body or {"reason": "..."}'), 'reason');
      sendJson(res, 200, { cutover: cutoverView(await this.admin.abort(id, reason)) } satisfies CutoverResponse);
      return;
    }
    throw new HttpError(404, `no such path: ${path}`);
  }

  private list(domain: string | null): CutoverListResponse {
    const all = this.admin.list().filter((c) => domain === null || c.domain === domain);
    const out: CutoverListResponse = { cutovers: all.map(cutoverView) };
    if (domain !== null) out.segments = this.admin.segmentsOf(domain) ?? null;
    return out;
  }

  private async create(res: http.ServerResponse, body: string): Promise<void> {
    const usage = 'expected {"domain": "<name>", "to"?: "<backend>", "dryRun"?: true, "drainTimeoutMs"?: <ms>}';
    const value = parseJsonObject(body, usage);
    const extra = Object.keys(value).filter((k) => !['domain', 'to', 'dryRun', 'drainTimeoutMs'].includes(k));
    if (extra.length > 0) throw new HttpError(400, `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}: ${usage}`);
    const domain = value.domain;
    if (typeof domain !== 'string' || domain === '') throw new HttpError(400, `"domain" must be a non-empty string: ${usage}`);
    const to = optionalString(value, 'to');
    const dryRun = value.dryRun;
    if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new HttpError(400, `"dryRun" must be true or false: ${usage}`);
    const drainTimeoutMs = value.drainTimeoutMs;
    if (drainTimeoutMs !== undefined && (typeof drainTimeoutMs !== 'number' || !Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0)) {
      throw new HttpError(400, `"drainTimeoutMs" must be a non-negative integer: ${usage}`);
    }
    const req = { domain, ...(to === undefined ? {} : { to }), ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs: drainTimeoutMs as number }) };
    if (dryRun === true) {
      sendJson(res, 200, { plan: await this.admin.plan(req) } satisfies CutoverPlanResponse);
      return;
    }
    sendJson(res, 202, { cutover: cutoverView(await this.admin.start(req)) } satisfies CutoverResponse);
  }

  private async retire(body: string): Promise<RetireResult> {
    const usage = 'expected {"domain": "<name>", "segment": <n>, "dryRun"?: true}';
    const value = parseJsonObject(body, usage);
    const domain = value.domain;
    const segment = value.segment;
    if (typeof domain !== 'string' || domain === '') throw new HttpError(400, `"domain" must be a non-empty string: ${usage}`);
    if (typeof segment !== 'number' || !Number.isInteger(segment)) throw new HttpError(400, `"segment" must be an integer: ${usage}`);
    if (value.dryRun !== undefined && typeof value.dryRun !== 'boolean') throw new HttpError(400, `"dryRun" must be true or false: ${usage}`);
    return this.admin.retire(domain, segment, value.dryRun === true);
  }

  private async moveGroups(body: string): Promise<GroupsMoveResult> {
    const usage = 'expected {"domain": "<name>"}';
    const value = parseJsonObject(body, usage);
    const extra = Object.keys(value).filter((k) => k !== 'domain');
    if (extra.length > 0) throw new HttpError(400, `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}: ${usage}`);
    const domain = value.domain;
    if (typeof domain !== 'string' || domain === '') throw new HttpError(400, `"domain" must be a non-empty string: ${usage}`);
    return this.admin.moveGroups(domain);
  }
}

function optionalString(value: Record<string, unknown>, field: string): string | undefined {
  const v = value[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new HttpError(400, `"${field}" must be a non-empty string`);
  return v;
}

function httpErrorOf(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof CutoverRequestError) return new HttpError(err.status, err.message);
  if (err instanceof CutoverConflictError) return new HttpError(409, err.message);
  if (err instanceof CutoverStoreError) return new HttpError(503, err.message);
  if (err instanceof CutoverBackendError) return new HttpError(502, err.message);
  throw err;
}

/** The segments of a domain state as the API shows them. */
export function segmentsView(state: Parameters<typeof serializeDomainState>[0] | undefined): SerializedDomainState | undefined {
  return state === undefined ? undefined : serializeDomainState(state);
}
