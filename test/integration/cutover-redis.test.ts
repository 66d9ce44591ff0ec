// Cutovers with two Turnout instances sharing a Redis store, over the rig's legacy (3.9.1) and
// main (4.1.1) clusters: every instance confirms each phase; an instance that does not confirm
// rolls the cutover back; an instance cut off from Redis during a cutover holds the domain's
// traffic until it reads the outcome (the cutover goes on without it once its lease has run
// out) and then sends it where the outcome says, never to the source past its switch point; a
// coordinating instance killed (SIGKILL) mid-cutover has its cutover rolled back by the other.
// The Redis is a private redis-server on a loopback port (the machine's own is never touched);
// one instance reaches it through a relay the test can cut.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import {
  AdminApi,
  cutoverConfig,
  endsOf,
  expectEachAcknowledgedOnce,
  finishProducer,
  openTransaction,
  paymentsTopicOnBoth,
  recordsOn,
  startIdempotentProducer,
  testPrefix,
  writeFixedPortConfig,
} from './cutover-helpers.js';
import { mainCluster, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';
import { TurnoutProcess } from './turnout-process.js';

let main: ClusterInfo;
let legacy: ClusterInfo;
let dir: string;
let redis: TestRedis;
const onExit = (): void => redis?.killNow();

beforeAll(async () => {
  if (!hasRedis) throw new Error('redis-server is not installed (scripts/setup.sh installs it)');
  main = mainCluster();
  legacy = await useCluster('legacy');
  dir = await mkdtemp(join(tmpdir(), 'turnout-cutover-instances-'));
  redis = new TestRedis(await freePort());
  await redis.start();
  process.once('exit', onExit);
}, 300_000);

afterAll(async () => {
  await redis?.stop();
  process.off('exit', onExit);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A TCP relay to Redis that a test can cut (every connection dropped, new ones refused) and restore. */
class RedisRelay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server !== null) await new Promise<void>((r) => server.close(() => r()));
  }
}

interface Instances {
  prefix: string;
  keyPrefix: string;
  a: ProxyHandle;
  b: ProxyHandle;
  apiA: AdminApi;
  apiB: AdminApi;
}

/** The configuration of an instance on the shared Redis (through `redisUrl`). */
function instanceConfig(prefix: string, keyPrefix: string, redisUrl: string, cutover: Record<string, number>): Record<string, unknown> {
  return {
    ...cutoverConfig(main, legacy, prefix, { leaseMs: 3_000, phaseDeadlineMs: 8_000, ...cutover }),
    store: { type: 'redis', watchFile: false, redis: { url: redisUrl, keyPrefix, pollIntervalMs: 200, connectTimeoutMs: 2_000 } },
  };
}

async function startInstance(name: string, config: Record<string, unknown>): Promise<ProxyHandle> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, stringify(config));
  const proxy = await startProxy(await loadConfigFile(file, { severalBackends: true }), { configFile: file, logLevel: 'warn', waitForReadyMs: 60_000 });
  onTestFinished(() => proxy.close());
  return proxy;
}

/** Instances A and B on the shared Redis, B through `relay` when given. */
async function twoInstances(tag: string, opts: { relay?: RedisRelay; cutover?: Record<string, number> } = {}): Promise<Instances> {
  const prefix = testPrefix(tag);
  const keyPrefix = `turnout-it:{${prefix}}:`;
  const a = await startInstance(`${prefix}a`, instanceConfig(prefix, keyPrefix, redis.url, opts.cutover ?? {}));
  const b = await startInstance(`${prefix}b`, instanceConfig(prefix, keyPrefix, opts.relay?.url ?? redis.url, opts.cutover ?? {}));
  return { prefix, keyPrefix, a, b, apiA: new AdminApi(a.adminPort), apiB: new AdminApi(b.adminPort) };
}

function redisClient(): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  onTestFinished(() => client.disconnect());
  return client;
}

describe('a cutover with two instances on Redis', () => {
  it('is confirmed by both at every step, and the traffic through the other instance follows the switch', { timeout: 180_000 }, async () => {
    const i = await twoInstances('two');
    const topic = await paymentsTopicOnBoth(main, legacy, i.prefix);
    const producer = await startIdempotentProducer(dir, i.b.bootstrapServers(), topic);
    await producer.progress('records acknowledged through instance B', 300, 60_000);
    const done = await i.apiA.finished((await i.apiA.start('payments')).id);
    expect(done.rollbackReason).toBeNull();
    expect(done.phase).toBe('SWITCHED');
    // B sees the same cutover and the same segments.
    expect((await i.apiB.get(done.id)).phase).toBe('SWITCHED');
    expect((await i.apiB.list('payments')).segments?.backend).toBe('main');
    const acks = await redisClient().hgetall(`${i.keyPrefix}cutover-acks:${done.id}`);
    const byStep = (step: string): number => Object.keys(acks).filter((k) => k.startsWith(`${step}/`)).length;
    expect([byStep('prepared'), byStep('holding'), byStep('drained')]).toEqual([2, 2, 2]);
    await waitFor(async () => Object.keys(await redisClient().hgetall(`${i.keyPrefix}cutover-acks:${done.id}`)).filter((k) => k.startsWith('switched/')).length === 2, {
      timeoutMs: 10_000,
      what: 'both instances to confirm the switch',
    });
    const after = producer.acked();
    await producer.progress('records acknowledged after the switch', after + 300, 60_000);
    const acked = await finishProducer(producer);
    const onLegacy = await recordsOn(legacy, topic);
    const onMain = await recordsOn(main, topic);
    for (const p of done.switchPoints ?? []) expect(endsOf(onLegacy).get(p.partition) ?? 0, `legacy ${topic}-${p.partition} ends at its switch point`).toBe(Number(p.sourceEnd));
    expect(onMain.length).toBeGreaterThan(0);
    expectEachAcknowledgedOnce(acked, [...onLegacy, ...onMain]);
  });

  it('rolls back before holding anything when a live instance does not confirm in time', { timeout: 120_000 }, async () => {
    const i = await twoInstances('ghost', { cutover: { phaseDeadlineMs: 2_000 } });
    const topic = await paymentsTopicOnBoth(main, legacy, i.prefix);
    // An instance that renewed its lease and will never answer.
    await redisClient().hset(`${i.keyPrefix}instances`, 'ghost', String(Date.now() + 600_000));
    const producer = await startIdempotentProducer(dir, i.a.bootstrapServers(), topic, 100);
    await producer.progress('records acknowledged', 100, 60_000);
    const done = await i.apiA.finished((await i.apiA.start('payments')).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toBe('instance ghost did not confirm prepared within 2000 ms');
    expect(done.phaseAtMs.HOLDING).toBeUndefined();
    const after = producer.acked();
    await producer.progress('records acknowledged after the rollback', after + 100, 60_000);
    await finishProducer(producer);
    expect(await recordsOn(main, topic), 'nothing on main').toEqual([]);
    expect((await i.apiB.list('payments')).segments).toBeNull();
  });

  it('goes on without an instance cut off from Redis, which holds the domain until it reads the switch', { timeout: 180_000 }, async () => {
    const relay = new RedisRelay(await freePort(), redis.port);
    await relay.open();
    onTestFinished(() => relay.cut());
    const i = await twoInstances('cut', { relay });
    const topic = await paymentsTopicOnBoth(main, legacy, i.prefix);
    const producer = await startIdempotentProducer(dir, i.b.bootstrapServers(), topic);
    await producer.progress('records acknowledged through instance B', 300, 60_000);
    await relay.cut();
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${i.b.adminPort}/readyz`);
      return ((await res.json()) as { reasons: string[] }).reasons.some((r) => r.startsWith('cutover state (redis) not known'));
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'instance B to stop trusting its cutover state' });
    const heldFrom = producer.acked();
    const done = await i.apiA.finished((await i.apiA.start('payments')).id);
    expect(done.rollbackReason).toBeNull();
    expect(done.phase).toBe('SWITCHED');
    // While cut off, B forwarded nothing of the domain: nothing on legacy past the switch point.
    const onLegacyWhileCut = await recordsOn(legacy, topic);
    for (const p of done.switchPoints ?? []) expect(endsOf(onLegacyWhileCut).get(p.partition) ?? 0).toBe(Number(p.sourceEnd));
    console.log(JSON.stringify({ test: 'cut off', timings: done.timings, ackedWhileCut: producer.acked() - heldFrom }));
    await relay.open();
    await producer.progress('records acknowledged once B reads the switch', heldFrom + 300, 90_000);
    const acked = await finishProducer(producer);
    const onLegacy = await recordsOn(legacy, topic);
    const onMain = await recordsOn(main, topic);
    for (const p of done.switchPoints ?? []) expect(endsOf(onLegacy).get(p.partition) ?? 0, `legacy ${topic}-${p.partition} ends at its switch point`).toBe(Number(p.sourceEnd));
    expectEachAcknowledgedOnce(acked, [...onLegacy, ...onMain]);
  });

  it('is rolled back by the other instance when its coordinating instance is killed during the hold', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('kill');
    const keyPrefix = `turnout-it:{${prefix}}:`;
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const file = join(dir, `${prefix}a.yaml`);
    const ports = await writeFixedPortConfig(file, instanceConfig(prefix, keyPrefix, redis.url, { drainTimeoutMs: 12_000, maxHoldMs: 14_000 }));
    const a = new TurnoutProcess(file, ports.admin);
    await a.start();
    const b = await startInstance(`${prefix}b`, instanceConfig(prefix, keyPrefix, redis.url, { drainTimeoutMs: 12_000, maxHoldMs: 14_000 }));
    const apiA = new AdminApi(ports.admin);
    const apiB = new AdminApi(b.adminPort);
    // A transaction left open on legacy keeps the cutover draining.
    const txn = await openTransaction(legacy, topic);
    onTestFinished(() => txn.close());
    const producer = await startIdempotentProducer(dir, b.bootstrapServers(), topic);
    await producer.progress('records acknowledged through instance B', 200, 60_000);
    const started = await apiA.start('payments');
    await apiB.inPhase(started.id, 'HOLDING');
    await a.kill();
    const rolledBack = await waitFor(async () => {
      const c = await apiB.get(started.id);
      return c.phase === 'ROLLED_BACK' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'instance B to roll the cutover back' });
    expect(rolledBack.rollbackReason).toMatch(/^the instance running the cutover \(.+\) is gone$/);
    const after = producer.acked();
    await producer.progress('records acknowledged after the rollback', after + 200, 60_000);
    const acked = await finishProducer(producer);
    expect(await recordsOn(main, topic), 'nothing on main').toEqual([]);
    expectEachAcknowledgedOnce(acked, await recordsOn(legacy, topic));
  });
});
