import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.js';
import type { CutoverAdmin } from '../../../src/admin/cutover-routes.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { CutoverRequestError, type CutoverRequest } from '../../../src/policy/cutover-coordinator.js';
import { movedRecord, rolledBackRecord, type CutoverRecord } from '../../../src/policy/cutover-record.js';
import { CutoverStoreError } from '../../../src/policy/cutover-store.js';
import { plannedCutover } from '../policy/cutover-fixtures.js';
import { ADMIN_TOKEN, AUTH_HEADER } from './domain-fixtures.js';

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Cutovers in a map; `start` fails the way a test says. */
function fakeAdmin(records: Map<string, CutoverRecord>, startError: Error | null = null): CutoverAdmin & { started: CutoverRequest[] } {
  const started: CutoverRequest[] = [];
  return {
    started,
    plan: async (req) => ({ domain: req.domain, from: 'east', to: req.to ?? 'west', drainTimeoutMs: 5_000, preflight: { ok: true, problems: [], topics: [], produceRecordsPerSecond: 10, rateSampleMs: 1_000, expectedHoldMs: 80, expectedHeldRecords: 1, checkedAtMs: 1 } }),
    start: async (req) => {
      if (startError !== null) throw startError;
      started.push(req);
      const r = plannedCutover(req.domain, 'east', req.to ?? 'west');
      records.set(r.id, r);
      return r;
    },
    abort: async (id, reason) => {
      const r = records.get(id);
      if (r === undefined) throw new CutoverRequestError(404, `no cutover ${id}`);
      if (r.phase === 'SWITCHED') throw new CutoverRequestError(409, 'switched');
      const next = rolledBackRecord(r, reason ?? 'aborted by the operator', 2_000);
      records.set(id, next);
      return next;
    },
    get: (id) => {
      const r = records.get(id);
      if (r === undefined) throw new CutoverRequestError(404, `no cutover ${id}`);
      return r;
    },
    list: () => [...records.values()],
    retire: async (domain, segment, dryRun) => ({ domain, segment, groups: [], retired: !dryRun }),
    segmentsOf: (domain) => (domain === 'orders' ? { backend: 'west', chains: {}, groupsBackend: 'east', era: 1 } : undefined),
    moveGroups: async (domain) => {
      if (domain !== 'orders') throw new CutoverRequestError(404, `unknown domain ${domain}`);
      return { id: 'm1', domain, from: 'east', to: 'west', groups: [{ group: 'orders-app', offsets: 3 }], holdMs: 12 };
    },
  };
}

async function start(admin: CutoverAdmin): Promise<string> {
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    auth: { tokenEnv: 'TURNOUT_TEST_ADMIN_TOKEN', openReads: true },
    env: { TURNOUT_TEST_ADMIN_TOKEN: ADMIN_TOKEN },
    registry: metrics.registry,
    readiness: () => ({ ready: true, reasons: [] }),
    log: createLogger({ level: 'silent' }),
    cutovers: admin,
  });
  return `http://127.0.0.1:${await server.listen()}`;
}

async function post(base: string, path: string, body?: unknown, auth = true): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? AUTH_HEADER : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('admin cutover API', () => {
  it('starts a cutover (202), runs a dry run (200), and needs the admin token for both', async () => {
    const admin = fakeAdmin(new Map());
    const base = await start(admin);
    expect((await post(base, '/v1/cutovers', { domain: 'orders' }, false)).status).toBe(401);
    const started = await post(base, '/v1/cutovers', { domain: 'orders', to: 'west', drainTimeoutMs: 1_000 });
    expect(started.status).toBe(202);
    expect(started.json.cutover).toMatchObject({ domain: 'orders', phase: 'PLANNED', timings: { phases: {}, holdMs: null } });
    expect(admin.started).toEqual([{ domain: 'orders', to: 'west', drainTimeoutMs: 1_000 }]);
    const plan = await post(base, '/v1/cutovers', { domain: 'orders', dryRun: true });
    expect(plan.status).toBe(200);
    expect(plan.json.plan).toMatchObject({ domain: 'orders', preflight: { ok: true, expectedHoldMs: 80 } });
  });

  it('shows each cutover with the time each phase took, and a domain list with its segments', async () => {
    let r = plannedCutover('orders', 'east', 'west', 1_000);
    r = movedRecord(movedRecord(movedRecord(r, 'PREPARED', 1_300), 'HOLDING', 1_400), 'DRAINED', 1_500);
    const base = await start(fakeAdmin(new Map([[r.id, r]])));
    const one = (await (await fetch(`${base}/v1/cutovers/${r.id}`)).json()) as { cutover: Record<string, unknown> };
    expect(one.cutover).toMatchObject({ id: r.id, phase: 'DRAINED', timings: { phases: { PLANNED: 300, PREPARED: 100, HOLDING: 100 }, holdMs: null } });
    const list = (await (await fetch(`${base}/v1/cutovers?domain=orders`)).json()) as { cutovers: unknown[]; segments: unknown };
    expect(list.cutovers).toHaveLength(1);
    expect(list.segments).toEqual({ backend: 'west', chains: {}, groupsBackend: 'east', era: 1 });
    expect(((await (await fetch(`${base}/v1/cutovers?domain=payments`)).json()) as { segments: unknown }).segments).toBeNull();
    expect((await fetch(`${base}/v1/cutovers/nope`)).status).toBe(404);
  });

  it('aborts with a reason, and answers the errors a cutover request meets', async () => {
    const r = plannedCutover('orders');
    const base = await start(fakeAdmin(new Map([[r.id, r]])));
    const aborted = await post(base, `/v1/cutovers/${r.id}/abort`, { reason: 'not today' });
    expect(aborted.status).toBe(200);
    expect(aborted.json.cutover).toMatchObject({ phase: 'ROLLED_BACK', rollbackReason: 'not today' });
    expect((await post(base, '/v1/cutovers', { domain: '' })).status).toBe(400);
    expect((await post(base, '/v1/cutovers', { domain: 'orders', later: true })).status).toBe(400);
    expect((await fetch(`${base}/v1/cutovers/${r.id}`, { method: 'DELETE', headers: AUTH_HEADER })).status).toBe(405);
    expect((await post(base, '/v1/cutovers/retire', { domain: 'orders', segment: 1, dryRun: true })).json).toEqual({ domain: 'orders', segment: 1, groups: [], retired: false });
  });

  it('moves a domain groups with POST /v1/cutovers/groups', async () => {
    const base = await start(fakeAdmin(new Map()));
    const moved = await post(base, '/v1/cutovers/groups', { domain: 'orders' });
    expect(moved.status).toBe(200);
    expect(moved.json).toEqual({ id: 'm1', domain: 'orders', from: 'east', to: 'west', groups: [{ group: 'orders-app', offsets: 3 }], holdMs: 12 });
    expect((await post(base, '/v1/cutovers/groups', { domain: 'payments' })).status).toBe(404);
    expect((await post(base, '/v1/cutovers/groups', { domain: 'orders', now: true })).status).toBe(400);
    expect((await fetch(`${base}/v1/cutovers/groups`, { headers: AUTH_HEADER })).status).toBe(405);
  });

  it('answers 409 for a cutover already in progress and 503 when the store cannot be written', async () => {
    expect((await post(await start(fakeAdmin(new Map(), new CutoverRequestError(409, 'in progress'))), '/v1/cutovers', { domain: 'orders' })).status).toBe(409);
    await server?.close();
    expect((await post(await start(fakeAdmin(new Map(), new CutoverStoreError('redis', 'redis is not reachable'))), '/v1/cutovers', { domain: 'orders' })).status).toBe(503);
  });
});
