// The producer binding store in a real redis-server, as two Turnout instances share it: the
// first binding claimed for a backend stands for both, a transactional id has one producer,
// idle expiry spares a producer the other instance used since, keys expire by themselves, and
// a Redis down answers errors that say what could not be done.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { RedisProducerBindingStore } from '../../src/routing/producer-binding-redis-store.js';
import { ProducerStoreError, type StoredProducer } from '../../src/routing/producer-binding-store.js';
import { waitFor } from './rig.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';

const log = createLogger({ level: 'silent' });
const IDLE_MS = 60_000;
const V1 = 1n << 41n;
const V2 = (1n << 41n) + 1n;
let redis: TestRedis;
let client: Redis;
let prefixCounter = 0;
const onExit = (): void => redis?.killNow();

beforeAll(async () => {
  if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
  redis = new TestRedis(await freePort());
  await redis.start();
  client = new Redis(redis.url, { lazyConnect: true });
  await client.connect();
  process.once('exit', onExit);
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  process.off('exit', onExit);
});

/** Two instances' stores on a key prefix of their own. */
async function twoInstances(): Promise<{ a: RedisProducerBindingStore; b: RedisProducerBindingStore; prefix: string }> {
  const prefix = `turnout:{it-producers-${process.pid}-${++prefixCounter}}:`;
  const open = (): RedisProducerBindingStore => {
    const store = new RedisProducerBindingStore({ url: redis.url, keyPrefix: prefix, idleMs: IDLE_MS, log, connectTimeoutMs: 1_000 });
    store.start();
    return store;
  };
  const [a, b] = [open(), open()];
  for (const store of [a, b]) await waitFor(async () => store.find(0n).then(() => true, () => false), { timeoutMs: 10_000, what: 'the store connected' });
  return { a, b, prefix };
}

function transactional(virtualId: bigint, transactionalId: string, realId: bigint, usedMs: number): StoredProducer {
  return { virtualId, transactionalId, epoch: 2, bindings: new Map([['main', { realId, epochDelta: 0 }]]), usedMs };
}

describe('the producer binding Redis store', () => {
  it('lets the first binding claimed for a backend stand for every instance, under the key prefix, expiring when idle', async () => {
    const { a, b, prefix } = await twoInstances();
    expect(await a.claimBinding(V1, 'main', { realId: 1000n, epochDelta: 0 }, 5)).toEqual({ realId: 1000n, epochDelta: 0 });
    expect(await b.claimBinding(V1, 'main', { realId: 1001n, epochDelta: 0 }, 6)).toEqual({ realId: 1000n, epochDelta: 0 });
    expect(await b.claimBinding(V1, 'legacy', { realId: 7n, epochDelta: 0 }, 6)).toEqual({ realId: 7n, epochDelta: 0 });
    expect(await a.find(V1)).toEqual({
      virtualId: V1,
      transactionalId: null,
      epoch: 0,
      bindings: new Map([
        ['main', { realId: 1000n, epochDelta: 0 }],
        ['legacy', { realId: 7n, epochDelta: 0 }],
      ]),
      usedMs: 6,
    });
    const ttl = await client.pttl(`${prefix}producer:${V1}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(IDLE_MS);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps one producer per transactional id, the one written last', async () => {
    const { a, b, prefix } = await twoInstances();
    await a.putTransactional(transactional(V1, 'txn-1', 500n, 10), null);
    expect((await b.findTransactional('txn-1'))?.bindings.get('main')).toEqual({ realId: 500n, epochDelta: 0 });
    await b.putTransactional(transactional(V2, 'txn-1', 501n, 11), V1);
    expect((await a.findTransactional('txn-1'))?.virtualId).toBe(V2);
    expect(await a.find(V1)).toBeNull();
    expect(await client.exists(`${prefix}producer-txn:txn-1`)).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps a moved transactional id's sequence bases for every instance, the first per partition standing, through a touch", async () => {
    const { a, b, prefix } = await twoInstances();
    const moved = transactional(V1, 'txn-1', 500n, 10);
    moved.bindings.set('legacy#1', { realId: 40n, epochDelta: -2 });
    moved.sequenceBases = new Map([['legacy#1', new Map()]]);
    await a.putTransactional(moved, null);
    // Through Lua (cjson) and back: a moved id with no base yet stays marked as moved.
    await b.touch([{ virtualId: V1, transactionalId: 'txn-1' }], 20);
    expect((await b.find(V1))?.sequenceBases).toEqual(new Map([['legacy#1', new Map()]]));
    expect(await a.claimSequenceBase(V1, 'legacy#1', '0:t', 9, 21)).toBe(9);
    expect(await b.claimSequenceBase(V1, 'legacy#1', '0:t', 11, 22), 'the first base stands').toBe(9);
    expect(await b.claimSequenceBase(V1, 'legacy#1', '1:t', 2_147_483_000, 22)).toBe(2_147_483_000);
    expect(await a.claimSequenceBase(V2, 'legacy#1', '0:t', 4, 22), 'a producer not stored keeps nothing').toBe(4);
    expect(await client.exists(`${prefix}producer:${V2}`)).toBe(0);
    const found = await b.findTransactional('txn-1');
    expect(found?.sequenceBases).toEqual(new Map([['legacy#1', new Map([['0:t', 9], ['1:t', 2_147_483_000]])]]));
    expect(found?.bindings.get('legacy#1')).toEqual({ realId: 40n, epochDelta: -2 });
    expect(found?.usedMs).toBe(22);
    expect(await client.pttl(`${prefix}producer:${V1}`)).toBeGreaterThan(IDLE_MS - 5_000);
    // A base under a later key replaces the earlier key's; a producer put again without bases has none.
    expect(await a.claimSequenceBase(V1, 'main#2', '0:t', 50, 23)).toBe(50);
    expect((await b.find(V1))?.sequenceBases).toEqual(new Map([['main#2', new Map([['0:t', 50]])]]));
    await b.putTransactional(transactional(V1, 'txn-1', 500n, 24), null);
    expect((await a.find(V1))?.sequenceBases).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });

  it('forgets an idle producer only if no instance has used it since', async () => {
    const { a, b, prefix } = await twoInstances();
    await a.putTransactional(transactional(V1, 'txn-1', 500n, 1_000), null);
    await a.claimBinding(V2, 'main', { realId: 9n, epochDelta: 0 }, 1_000);
    // B adopted V1 and used it later; nobody used V2.
    await b.touch([{ virtualId: V1, transactionalId: 'txn-1' }], 5_000);
    await a.forgetIdle(
      [
        { virtualId: V1, transactionalId: 'txn-1' },
        { virtualId: V2, transactionalId: null },
      ],
      2_000,
    );
    expect((await b.find(V1))?.usedMs).toBe(5_000);
    expect(await b.find(V2)).toBeNull();
    await a.forgetIdle([{ virtualId: V1, transactionalId: 'txn-1' }], 6_000);
    expect(await b.findTransactional('txn-1')).toBeNull();
    expect(await client.exists(`${prefix}producer-txn:txn-1`)).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('answers an error naming what it could not do while Redis is down, and serves again once it is back', async () => {
    const { a, b } = await twoInstances();
    await a.claimBinding(V1, 'main', { realId: 1000n, epochDelta: 0 }, 1);
    await redis.stop();
    try {
      const err = await a.claimBinding(V2, 'main', { realId: 1n, epochDelta: 0 }, 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProducerStoreError);
      expect(err).toMatchObject({ store: 'redis', operation: 'store a producer binding' });
      await expect(b.find(V1)).rejects.toThrow(/producer binding store \(redis\) could not read a producer/);
    } finally {
      await redis.start();
    }
    // The server restarted without persistence: what it held is gone, and the stores reconnect.
    for (const store of [a, b]) await waitFor(async () => store.find(V1).then(() => true, () => false), { timeoutMs: 10_000, what: 'the store to reconnect' });
    expect(await a.claimBinding(V2, 'main', { realId: 1n, epochDelta: 0 }, 1)).toEqual({ realId: 1n, epochDelta: 0 });
    expect((await b.find(V2))?.bindings.get('main')).toEqual({ realId: 1n, epochDelta: 0 });
    await Promise.all([a.close(), b.close()]);
  });
});
