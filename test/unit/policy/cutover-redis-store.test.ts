// The shared cutover store against the Redis on 127.0.0.1:6379 (TURNOUT_TEST_REDIS_URL to use
// another), each test under its own key prefix, removed afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { retiredSegmentState, switchedDomainState } from '../../../src/policy/cutover-domain-state.js';
import { movedRecord } from '../../../src/policy/cutover-record.js';
import { RedisCutoverStore, type RedisCutoverStoreOptions } from '../../../src/policy/cutover-redis-store.js';
import { CutoverConflictError } from '../../../src/policy/cutover-store.js';
import { freePort, TestRedis } from '../../integration/test-redis.js';
import { plannedCutover, point } from './cutover-fixtures.js';

const url = process.env.TURNOUT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger({ level: 'silent' });

let admin: Redis;
let prefix: string;
const stores: RedisCutoverStore[] = [];

beforeAll(() => {
  admin = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(() => {
  admin.disconnect();
});

beforeEach(() => {
  prefix = `turnout-test:{${randomUUID()}}:`;
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
});

async function openStore(opts: Partial<RedisCutoverStoreOptions> = {}): Promise<RedisCutoverStore> {
  const store = await RedisCutoverStore.open({ url, keyPrefix: prefix, log, pollIntervalMs: 100, leaseMs: 2_000, ...opts });
  stores.push(store);
  return store;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the cutover state in Redis', () => {
  it('reaches every instance: a cutover moved through its phases and its switch in one write', async () => {
    const a = await openStore({ instanceId: 'a' });
    const b = await openStore({ instanceId: 'b' });
    expect(a.known() && b.known()).toBe(true);
    const planned = plannedCutover('orders', 'legacy', 'main');
    await a.create(planned);
    await waitFor('b to see the cutover', () => b.current().activeOf('orders')?.phase === 'PLANNED');
    let r = movedRecord(planned, 'PREPARED', 2);
    await a.move('PLANNED', r);
    r = movedRecord(r, 'HOLDING', 3);
    await a.move('PREPARED', r);
    const drained = movedRecord(r, 'DRAINED', 4);
    await a.move('HOLDING', drained);
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: { t: 0 }, generations: { t: 3 }, points: [point('t', 0, 40n, 0n)] });
    await a.move('DRAINED', movedRecord(drained, 'SWITCHED', 5, { generations: { t: 3 } }), state);
    await waitFor('b to see the switch', () => b.current().domains.get('orders')?.backend === 'main');
    expect(b.current().activeOf('orders')).toBeUndefined();
    expect(b.current().cutovers.get(planned.id)?.phaseAtMs).toEqual({ PLANNED: 1_000, PREPARED: 2, HOLDING: 3, DRAINED: 4, SWITCHED: 5 });
    expect(b.current().domains.get('orders')?.chains.get('t')?.[0]?.last).toEqual({ backend: 'main', firstOffset: 40n, shift: 40n, generation: 3 });
    // The new generation is claimed where the instances share their leader epoch generations.
    expect(await admin.hget(`${prefix}epoch-generations`, 't/3')).toBe('main');
  });

  it('reaches every instance with a chain whose first segment was retired', async () => {
    const a = await openStore({ instanceId: 'a' });
    const b = await openStore({ instanceId: 'b' });
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 40n, 5n), point('t', 1, 9n, 0n)] });
    await a.setDomainState('orders', retiredSegmentState(state, 0), a.current().version);
    await waitFor('b to see the retirement', () => b.current().domains.get('orders') !== undefined);
    const chains = b.current().domains.get('orders')?.chains.get('t');
    expect(chains?.map((c) => c?.segments)).toEqual([[{ backend: 'main', firstOffset: 40n, shift: 35n, generation: 1 }], [{ backend: 'main', firstOffset: 9n, shift: 9n, generation: 1 }]]);
    expect(chains?.[0]?.start).toBe(40n);
    const c = await openStore({ instanceId: 'c' });
    expect(c.current().domains.get('orders')?.chains.get('t')?.[1]?.start).toBe(9n);
  });

  it('lets one of two writers win a phase: the coordinator moving on or an instance rolling back', async () => {
    const a = await openStore({ instanceId: 'a' });
    const b = await openStore({ instanceId: 'b' });
    const planned = plannedCutover();
    await a.create(planned);
    await expect(b.create(plannedCutover())).rejects.toMatchObject({ reason: 'active' });
    const results = await Promise.allSettled([
      a.move('PLANNED', movedRecord(planned, 'PREPARED', 2)),
      b.move('PLANNED', movedRecord(planned, 'ROLLED_BACK', 2, { rollbackReason: 'test' })),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(CutoverConflictError);
    expect(lost.reason.reason).toBe('phase');
  });

  it('refuses a switch whose generation another backend already holds, changing nothing', async () => {
    const a = await openStore();
    await admin.hset(`${prefix}epoch-generations`, 't/1', 'legacy');
    let r = plannedCutover('orders', 'legacy', 'main');
    await a.create(r);
    for (const [from, to] of [['PLANNED', 'PREPARED'], ['PREPARED', 'HOLDING'], ['HOLDING', 'DRAINED']] as const) {
      const next = movedRecord(r, to, 2);
      await a.move(from, next);
      r = next;
    }
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 4n, 0n)] });
    await expect(a.move('DRAINED', movedRecord(r, 'SWITCHED', 3, { generations: { t: 1 } }), state)).rejects.toMatchObject({ reason: 'generation' });
    expect(a.current().activeOf('orders')?.phase).toBe('DRAINED');
    expect(a.current().domains.size).toBe(0);
  });

  it('collects each instance confirmation of a step and lists the live instances', async () => {
    const a = await openStore({ instanceId: 'a' });
    const b = await openStore({ instanceId: 'b' });
    expect((await a.liveInstances()).sort()).toEqual(['a', 'b']);
    await a.ack('c-9', 'holding', { ok: true, reason: null, atMs: 1 });
    await b.ack('c-9', 'holding', { ok: false, reason: 'held bytes over the cap', atMs: 2 });
    await b.ack('c-9', 'drained', { ok: true, reason: null, atMs: 3 });
    const holding = await a.acks('c-9', 'holding');
    expect(holding.get('a')).toEqual({ ok: true, reason: null, atMs: 1 });
    expect(holding.get('b')).toEqual({ ok: false, reason: 'held bytes over the cap', atMs: 2 });
    expect([...(await a.acks('c-9', 'drained')).keys()]).toEqual(['b']);
    await b.close();
    expect(await a.liveInstances()).toEqual(['a']);
  });

  it('stops trusting its copy once Redis is lost for half its lease, and trusts it again after', async () => {
    const own = new TestRedis(await freePort());
    await own.start();
    try {
      const a = await openStore({ url: own.url, instanceId: 'a', leaseMs: 1_000, connectTimeoutMs: 500 });
      const seen: boolean[] = [];
      a.subscribe(() => seen.push(a.known()));
      expect(a.known()).toBe(true);
      await own.stop();
      // Deadlines that only catch a hang: a full parallel unit run on 2 cores can stretch the
      // half-lease and the reconnect well past their nominal seconds.
      await waitFor('the lease to run out', () => seen.includes(false), 12_000);
      expect(a.known()).toBe(false);
      await own.start();
      await waitFor('the state to be read again', () => a.known(), 12_000);
      expect(seen.at(-1)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('trusts its copy again after a lapsed lease only once it has read the state, never on the renewal alone', async () => {
    let skewMs = 0;
    const a = await openStore({ instanceId: 'a', leaseMs: 2_000, nowMs: () => performance.now() + skewMs });
    const seen: boolean[] = [];
    a.subscribe(() => seen.push(a.known()));
    const before = a.current().version;
    // The lease lapses (a's clock jumps past it) and another instance moves the state on,
    // unannounced: only a read tells `a` of it.
    skewMs = 10_000;
    const moved = admin.incr(`${prefix}cutover-version`);
    const samples: Array<{ known: boolean; version: number }> = [];
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const probe = (): void => {
        samples.push({ known: a.known(), version: a.current().version });
        if (a.known() && a.current().version > before) resolve();
        else if (Date.now() > deadline) reject(new Error(`never known again at a newer version: last ${JSON.stringify(samples.at(-1))}`));
        else setImmediate(probe);
      };
      probe();
    });
    expect(await moved).toBe(before + 1);
    expect(samples.some((x) => !x.known), 'the lapsed lease is seen').toBe(true);
    expect(samples.filter((x) => x.known && x.version === before), 'trusted while still at the version it had before the lapse').toEqual([]);
    expect(seen.at(-1)).toBe(true);
  });

  it('writes its state back into a Redis that lost it, so that cut-over domains keep their segments', async () => {
    const a = await openStore({ instanceId: 'a' });
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 40n, 0n)] });
    await a.setDomainState('orders', state, 0);
    const active = plannedCutover('payments', 'legacy', 'main');
    await a.create(active);
    const before = a.current().version;
    const keys = await admin.keys(`${prefix}*`);
    await admin.del(...keys);
    await waitFor('the state to be written back', () => a.current().version > before);
    const b = await openStore({ instanceId: 'b' });
    expect(b.current().domains.get('orders')?.backend).toBe('main');
    expect(b.current().activeOf('payments')?.id).toBe(active.id);
    await expect(b.create(plannedCutover('payments'))).rejects.toMatchObject({ reason: 'active' });
  });

  it('is not known while Redis cannot be reached', async () => {
    const a = await openStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    expect(a.known()).toBe(false);
    expect(a.health()).toMatchObject({ ready: false, known: false });
    await expect(a.create(plannedCutover())).rejects.toThrow(/not reachable/);
  });
});
