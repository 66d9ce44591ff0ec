// The Redis policy store against a real redis-server, as two Turnout instances would use it:
// each test file run starts its own redis-server on an ephemeral loopback port, without
// persistence, and stops it at the end (the machine's own Redis is never touched).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { parseConfig } from '../../src/policy/config.js';
import type { PolicyDocument } from '../../src/policy/policy-schema.js';
import { policyDocumentOf, type PolicySnapshot } from '../../src/policy/policy-snapshot.js';
import { RedisPolicyStore } from '../../src/policy/redis-policy-store.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Changes must arrive; how fast is not this suite's business. The deadline only catches a
// change that never comes, and stays well under the 60 s poll of the tests that prove the
// channel.
const ARRIVAL_DEADLINE_MS = 20_000;

async function waitFor(what: string, cond: () => boolean, timeoutMs = ARRIVAL_DEADLINE_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

const seed: PolicyDocument = policyDocumentOf(
  parseConfig(
    {
      virtualCluster: { clusterId: 'it' },
      listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
      backends: [
        { name: 'east', bootstrapServers: ['east:9092'] },
        { name: 'west', bootstrapServers: ['west:9092'] },
      ],
      domains: [
        { name: 'orders', owner: 'team-orders', topics: ['orders.*'], groups: ['orders-*'], backend: 'east', migrationTarget: 'west' },
        { name: 'payments', owner: 'team-payments', topics: ['payments.*'], backend: 'west' },
      ],
    },
    'seed',
    { severalBackends: true },
  ),
);

function backendOf(s: PolicySnapshot, domain: string): string | undefined {
  return s.domains.get(domain)?.backend;
}

const lines: Array<Record<string, unknown>> = [];
function testLog(instance: string): Logger {
  return createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } }).child({ instance });
}

let redis: TestRedis;
let prefix: string;
let prefixCounter = 0;
const stores: RedisPolicyStore[] = [];

async function openStore(instance: string, overrides: { pollIntervalMs?: number; doc?: PolicyDocument } = {}): Promise<RedisPolicyStore> {
  const store = await RedisPolicyStore.open({
    url: redis.url,
    keyPrefix: prefix,
    seed: overrides.doc ?? seed,
    log: testLog(instance),
    pollIntervalMs: overrides.pollIntervalMs ?? 1_000,
    connectTimeoutMs: 2_000,
    maxReconnectDelayMs: 250,
  });
  stores.push(store);
  return store;
}

const onExit = (): void => redis?.killNow();

describe('redis policy store (two instances, real redis-server)', () => {
  beforeAll(async () => {
    if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
    process.once('exit', onExit);
    redis = new TestRedis(await freePort());
    await redis.start();
  });

  afterAll(async () => {
    await redis?.stop();
    process.off('exit', onExit);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await redis.start().catch(() => undefined); // a test that stopped Redis and failed midway
  });

  // Each test gets its own keys on the one server.
  const freshPrefix = (): void => {
    prefix = `turnout:{it-${process.pid}-${++prefixCounter}}:`;
  };

  it('seeds an empty Redis from the file once; a second instance reads what the first wrote', async () => {
    freshPrefix();
    const a = await openStore('a');
    const b = await openStore('b', { doc: { ...seed, defaultDomain: 'payments' } });
    expect(a.health()).toEqual({ kind: 'redis', ready: true, lastError: null, version: 1 });
    expect(b.health()).toMatchObject({ ready: true, version: 1 });
    // b's file differs; Redis wins.
    expect(b.current().defaultDomain).toBeNull();
    expect(lines.some((l) => l.instance === 'b' && /Redis wins/.test(String(l.msg)))).toBe(true);
  });

  it('a change through one instance reaches the other within a second (pub/sub)', async () => {
    freshPrefix();
    // A poll slower than the deadline proves the change came through the channel.
    const a = await openStore('a', { pollIntervalMs: 60_000 });
    const b = await openStore('b', { pollIntervalMs: 60_000 });
    const seenByB: number[] = [];
    b.subscribe((next) => seenByB.push(next.version));
    for (const [via, to] of [
      [a, 'west'],
      [b, 'east'],
      [a, 'west'],
    ] as const) {
      const other = via === a ? b : a;
      const s = await via.setDomainBackend('orders', to);
      expect(backendOf(s, 'orders')).toBe(to);
      await waitFor(`the other instance to see orders on ${to}`, () => backendOf(other.current(), 'orders') === to);
      expect(other.current().version).toBe(s.version);
    }
    expect(seenByB).toEqual([2, 3, 4]);
    // Resolution follows: orders topics now go to west on both.
    for (const s of [a, b]) {
      const r = s.current().resolve('topic', 'orders.created');
      expect(r.ok && r.domain.backend).toBe('west');
    }
  });

  it('the version poll catches a change whose message was lost', async () => {
    freshPrefix();
    const a = await openStore('a', { pollIntervalMs: 200 });
    // Written behind the stores' back, without a PUBLISH.
    const raw = new Redis(redis.url);
    try {
      await raw.multi().hset(`${prefix}domain-backends`, 'payments', 'east').incr(`${prefix}version`).exec();
    } finally {
      raw.disconnect();
    }
    await waitFor('the poll to see the change', () => backendOf(a.current(), 'payments') === 'east');
  });

  it('validates changes against the shared policy', async () => {
    freshPrefix();
    const a = await openStore('a');
    await expect(a.setDomainBackend('nope', 'west')).rejects.toMatchObject({ reason: 'unknown-domain' });
    await expect(a.setDomainBackend('orders', 'north')).rejects.toMatchObject({ reason: 'unknown-backend' });
    const s = await a.setDomainBackend('orders', 'east');
    expect(s.version).toBe(1);
  });

  it('Redis stopped: both keep the last policy and report not ready; restarted: both recover and see later changes', async () => {
    freshPrefix();
    const a = await openStore('a');
    const b = await openStore('b');
    await a.setDomainBackend('orders', 'west');
    await waitFor('b to see the change', () => backendOf(b.current(), 'orders') === 'west');

    await redis.stop();
    await waitFor('both to report not ready', () => !a.health().ready && !b.health().ready);
    for (const s of [a, b]) {
      expect(backendOf(s.current(), 'orders')).toBe('west');
      expect(s.health().lastError).toMatch(/redis|Redis/);
    }
    await expect(a.setDomainBackend('orders', 'east')).rejects.toMatchObject({ reason: 'store-unavailable' });
    await sleep(1_500); // a few failed reconnects; still serving
    expect(backendOf(a.current(), 'orders')).toBe('west');
    expect(lines.filter((l) => l.instance === 'a' && /serving the last known policy/.test(String(l.msg))).length).toBeLessThanOrEqual(2);

    // Restarted empty (no persistence): the instances re-seed it with what they last knew.
    await redis.start();
    await waitFor('both to be ready again', () => a.health().ready && b.health().ready);
    for (const s of [a, b]) expect(backendOf(s.current(), 'orders')).toBe('west');
    const versionAfter = a.current().version;
    expect(versionAfter).toBeGreaterThanOrEqual(3); // above every version seen before the loss

    const s = await b.setDomainBackend('payments', 'east');
    await waitFor('a to see the later change', () => backendOf(a.current(), 'payments') === 'east');
    expect(a.current().version).toBe(s.version);
  });

  it('opens with the file policy while Redis is down, then connects by itself', async () => {
    freshPrefix();
    await redis.stop();
    const a = await openStore('a');
    expect(a.health()).toMatchObject({ ready: false, version: 0 });
    expect(backendOf(a.current(), 'orders')).toBe('east');
    await redis.start();
    await waitFor('a to connect and seed', () => a.health().ready);
    expect(a.current().version).toBe(1);
  });

  it('replaces the shared policy, keeping moved domains it does not contradict', async () => {
    freshPrefix();
    const a = await openStore('a');
    const b = await openStore('b');
    await a.setDomainBackend('orders', 'west');
    await a.setDomainBackend('payments', 'east');
    const next: PolicyDocument = {
      ...seed,
      domains: [
        seed.domains[0],
        { ...seed.domains[1], backend: 'east' },
        { name: 'audit', owner: 'sec', topics: ['audit.*'], groups: [], transactionalIds: [], backend: 'west' },
      ],
    };
    const s = await a.replacePolicy(next);
    await waitFor('b to see the new policy', () => b.current().domains.has('audit'));
    for (const snapshot of [s, b.current()]) {
      expect(backendOf(snapshot, 'audit')).toBe('west');
      expect(backendOf(snapshot, 'orders')).toBe('west'); // still configured on east: the move stays
      expect(backendOf(snapshot, 'payments')).toBe('east'); // now configured there
      expect(snapshot.backendOverrides.has('payments')).toBe(false);
    }
    await expect(a.replacePolicy({ ...seed, defaultDomain: 'nope' })).rejects.toThrow(/defaultDomain: names no configured domain/);
  });

  it('keeps the last policy when the one in Redis is invalid, until a valid one replaces it', async () => {
    freshPrefix();
    const a = await openStore('a');
    await a.setDomainBackend('orders', 'west');
    const raw = new Redis(redis.url);
    try {
      await raw.set(`${prefix}policy`, JSON.stringify({ format: 1, policy: { backends: [] }, index: { domains: {}, backends: {} } }));
      const v = await raw.incr(`${prefix}version`);
      await raw.publish(`${prefix}changes`, String(v));
    } finally {
      raw.disconnect();
    }
    await waitFor('a to report the invalid policy', () => !a.health().ready);
    expect(a.health().lastError).toMatch(/backends/);
    expect(backendOf(a.current(), 'orders')).toBe('west');
    expect(lines.some((l) => l.msg === 'policy in Redis is invalid; keeping the last known policy')).toBe(true);

    await a.replacePolicy(seed);
    expect(a.health().ready).toBe(true);
    expect(backendOf(a.current(), 'orders')).toBe('east');
  });
});

