// Virtual topic ids and leader epochs that several Turnout instances agree on: instances on
// one Redis store in front of the main (Kafka 4.1) and legacy (Kafka 3.9) clusters present the
// same ids and epochs, keep them through a domain move made through one instance's admin API,
// and an instance started after the move presents them too. The identity store's rules are
// checked against the same Redis. Every test has its own key prefix, deleted at the end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ApiKey, ZERO_UUID, createMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, type MetadataResponse } from '../../src/codec/index.js';
import type { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadConfigFile } from '../../src/policy/config.js';
import type { IdentityChange } from '../../src/routing/identity-store.js';
import { RedisIdentityStore } from '../../src/routing/identity-redis-store.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { GENERATION_STRIDE } from '../../src/routing/leader-epoch-map.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/codec/message-frames.js';
import { firstTopicId } from '../../src/routing/topic-id-map.js';
import { createTopic, deleteTopics, mainCluster, uniqueTopic, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { ADMIN_WRITE_HEADERS, TEST_ADMIN_AUTH } from './admin-token.js';
import { wireConnection } from './wire-connection.js';

const REDIS_URL = process.env.TURNOUT_IT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTER_ID = 'tUrNoUtShArEdIdEnTiTy0';
/** Topics of the orders domain start with this. */
const ORDERS = 'sio-';
const log = createLogger({ level: 'silent' });

let main: ClusterInfo;
let legacy: ClusterInfo;
let redis: Redis;
let prefixCounter = 0;
let dir: string;
const open: UpstreamConnection[] = [];

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  dir = await mkdtemp(join(tmpdir(), 'turnout-shared-identities-'));
}, 300_000);

afterAll(async () => {
  for (const c of open) c.close();
  redis?.disconnect();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A key prefix of this test's own, whose keys are deleted when the test finishes. */
function testPrefix(): string {
  const prefix = `turnout:{it-identities-${process.pid}-${Date.now()}-${++prefixCounter}}:`;
  onTestFinished(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  return prefix;
}

/** Starts a Turnout instance as `turnout start` does, from a policy file naming the Redis store; closed when the test finishes. */
async function startInstance(keyPrefix: string, opts: { redisUrl?: string; waitForReadyMs?: number } = {}): Promise<ProxyHandle> {
  const file = join(dir, `turnout-${++prefixCounter}.yaml`);
  const policy = {
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 3 }],
    backends: [
      { name: 'main', bootstrapServers: main.bootstrapServers.split(',') },
      { name: 'legacy', bootstrapServers: legacy.bootstrapServers.split(',') },
    ],
    domains: [{ name: 'orders', owner: 'team-orders', topics: [`${ORDERS}*`], groups: [`${ORDERS}*`], backend: 'main' }],
    store: { type: 'redis', redis: { url: opts.redisUrl ?? REDIS_URL, keyPrefix, pollIntervalMs: 1_000, connectTimeoutMs: 2_000 } },
    admin: { host: '127.0.0.1', port: 0, auth: TEST_ADMIN_AUTH },
  };
  await writeFile(file, JSON.stringify(policy));
  const proxy = await startProxy(await loadConfigFile(file, { severalBackends: true }), { configFile: file, logLevel: 'error', waitForReadyMs: opts.waitForReadyMs ?? 60_000 });
  onTestFinished(async () => {
    await proxy.close();
  });
  return proxy;
}

function connect(host: string, port: number): UpstreamConnection {
  const c = wireConnection(port, host);
  open.push(c);
  return c;
}

/** Metadata v12 for one topic, asked on the wire. */
async function metadataV12(host: string, port: number, topic: string): Promise<MetadataResponse> {
  const req = createMetadataRequest();
  req.topics = [{ name: topic, topicId: ZERO_UUID }];
  req.allowAutoTopicCreation = false;
  const frame = await sendRequest(connect(host, port), encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 0, clientId: 'it-identities' }, req, encodeMetadataRequest));
  return decodeResponseFrame(frame, ApiKey.Metadata, 12, decodeMetadataResponse).body;
}

interface TopicView {
  topicId: string;
  /** Partition → leader epoch. */
  epochs: number[];
}

/** What a Turnout instance shows of a topic (waits until it shows it without error). */
async function view(proxy: ProxyHandle, topic: string): Promise<TopicView> {
  return waitFor(
    async () => {
      const r = await metadataV12('127.0.0.1', proxy.ports().bootstrap, topic);
      const t = r.topics[0];
      if (t === undefined || t.errorCode !== 0 || t.partitions.length === 0) return undefined;
      return { topicId: t.topicId, epochs: [...t.partitions].sort((x, y) => x.partitionIndex - y.partitionIndex).map((p) => p.leaderEpoch) };
    },
    { timeoutMs: 30_000, what: `metadata of ${topic}` },
  );
}

/** A backend's real topic id. */
async function realTopicId(cluster: ClusterInfo, topic: string): Promise<string> {
  const b = cluster.brokers[0];
  const r = await metadataV12(b.host, b.port, topic);
  return r.topics[0].topicId;
}

async function setBackend(p: ProxyHandle, domain: string, backend: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${p.adminPort}/v1/domains/${domain}`, {
    method: 'PUT',
    headers: ADMIN_WRITE_HEADERS,
    body: JSON.stringify({ backend }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function domainBackend(p: ProxyHandle, domain: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${p.adminPort}/v1/domains/${domain}`);
  return ((await res.json()) as { domain: { backend: string } }).domain.backend;
}

/** Every epoch shown by an instance, in the order shown: none may be lower than one shown before for its partition. */
class EpochHistory {
  private readonly seen = new Map<string, number[][]>();

  record(instance: string, v: TopicView): void {
    let rows = this.seen.get(instance);
    if (rows === undefined) this.seen.set(instance, (rows = []));
    rows.push(v.epochs);
  }

  expectNeverBackwards(): void {
    for (const [instance, rows] of this.seen) {
      for (let i = 1; i < rows.length; i++) {
        rows[i].forEach((e, p) => expect(e, `${instance} partition ${p} view ${i}`).toBeGreaterThanOrEqual(rows[i - 1][p]));
      }
    }
  }
}

describe('instances sharing a Redis store present the same topic ids and leader epochs', () => {
  it('before and after a domain move through one instance, and on an instance started after the move', async () => {
    const keyPrefix = testPrefix();
    const topic = `${ORDERS}${uniqueTopic('ids')}`;
    await createTopic(main, { name: topic, partitions: 2 });
    await createTopic(legacy, { name: topic, partitions: 2 });
    onTestFinished(async () => {
      await deleteTopics(main, [topic]);
      await deleteTopics(legacy, [topic]);
    });
    const [a, b] = [await startInstance(keyPrefix), await startInstance(keyPrefix)];
    const history = new EpochHistory();

    const realOnMain = await realTopicId(main, topic);
    const beforeA = await view(a, topic);
    const beforeB = await view(b, topic);
    history.record('a', beforeA);
    history.record('b', beforeB);
    expect(beforeA.topicId).not.toBe(ZERO_UUID);
    expect(beforeA.topicId).not.toBe(realOnMain);
    // derived from the serving backend's incarnation: the same on both without a word between them
    expect(beforeA.topicId).toBe(firstTopicId(topic, 'main', realOnMain));
    expect(beforeB).toEqual(beforeA);

    await setBackend(a, 'orders', 'legacy');
    await waitFor(async () => (await domainBackend(b, 'orders')) === 'legacy', { timeoutMs: 5_000, intervalMs: 20, what: 'B to see orders on legacy' });
    const afterA = await waitFor(
      async () => {
        const v = await view(a, topic);
        return v.epochs.every((e) => e >= GENERATION_STRIDE) ? v : undefined;
      },
      { timeoutMs: 10_000, what: "A's epochs of the legacy generation" },
    );
    const afterB = await view(b, topic);
    history.record('a', afterA);
    history.record('b', afterB);
    process.stderr.write(`[shared-identities] epochs before the move ${JSON.stringify(beforeA.epochs)}, after ${JSON.stringify(afterA.epochs)}\n`);
    expect(afterA.topicId).toBe(beforeA.topicId);
    expect(afterB).toEqual(afterA);

    const c = await startInstance(keyPrefix);
    const lateC = await view(c, topic);
    history.record('c', lateC);
    // C's own first sight (served by legacy) would derive another id: the stored history wins
    expect(firstTopicId(topic, 'legacy', await realTopicId(legacy, topic))).not.toBe(beforeA.topicId);
    expect(lateC).toEqual(afterA);

    // and they stay so on a second look
    for (const [name, p] of [['a', a], ['b', b], ['c', c]] as const) {
      const again = await view(p, topic);
      history.record(name, again);
      expect(again).toEqual(afterA);
    }
    history.expectNeverBackwards();

    const stored = JSON.parse((await redis.hget(`${keyPrefix}topic-ids`, topic)) ?? '{}') as { virtualId?: string; realIds?: Record<string, string> };
    expect(stored.virtualId).toBe(beforeA.topicId);
    expect(Object.keys(stored.realIds ?? {}).sort()).toEqual(['legacy', 'main']);
    expect(await redis.hgetall(`${keyPrefix}epoch-generations`)).toEqual({ [`${topic}/0`]: 'main', [`${topic}/1`]: 'legacy' });
  }, 180_000);

  it('keeps an instance not ready while it cannot load the stored identities', async () => {
    // Nothing listens on port 1: the policy store serves the file's policy, the identities cannot be loaded.
    const p = await startInstance(testPrefix(), { redisUrl: 'redis://127.0.0.1:1', waitForReadyMs: 0 });
    const reasons = await waitFor(
      () => {
        const r = p.readiness().reasons;
        return r.some((x) => x.startsWith('topology')) ? undefined : r;
      },
      { timeoutMs: 30_000, what: 'the backend topologies to be known' },
    );
    // The cutover state lives in the same Redis: it cannot be known either, and says so.
    expect([...reasons].sort()).toEqual(['cutover state (redis) not known: domains that may be cut over are held', 'shared topic ids and leader epochs not loaded from redis yet']);
    expect((await fetch(`http://127.0.0.1:${p.adminPort}/readyz`)).status).toBe(503);
  }, 120_000);
});

describe('the Redis identity store', () => {
  function store(keyPrefix: string): RedisIdentityStore {
    const s = new RedisIdentityStore({ url: REDIS_URL, keyPrefix, log, connectTimeoutMs: 2_000 });
    onTestFinished(() => s.close());
    return s;
  }

  async function connected(s: RedisIdentityStore): Promise<void> {
    await new Promise<void>((resolve) => {
      s.onConnected(resolve);
      s.start();
    });
  }

  /** Two stores on a fresh prefix, connected; `heard` collects what the second hears. */
  async function connectedPair(): Promise<{ one: RedisIdentityStore; two: RedisIdentityStore; heard: IdentityChange[] }> {
    const keyPrefix = testPrefix();
    const one = store(keyPrefix);
    const two = store(keyPrefix);
    const heard: IdentityChange[] = [];
    two.onChange((c) => heard.push(c));
    await Promise.all([connected(one), connected(two)]);
    return { one, two, heard };
  }

  it('lets the first writer of a topic win, merges bindings of the same id, and takes a newer incarnation', async () => {
    const { one, two, heard } = await connectedPair();

    const first = await one.writeTopic({ name: 't', virtualId: 'vOneAAAAAAAAAAAAAAAAAA', servingBackend: 'main', realIds: { main: 'rMain1' } }, null);
    expect(first.rev).toBeGreaterThan(0);
    // another first sight, in another state: refused, the stored entry comes back
    const lost = await two.writeTopic({ name: 't', virtualId: 'vTwoAAAAAAAAAAAAAAAAAA', servingBackend: 'legacy', realIds: { legacy: 'rLegacy1' } }, null);
    expect(lost).toEqual(first);
    // the same id with another binding: merged
    const merged = await two.writeTopic({ name: 't', virtualId: 'vOneAAAAAAAAAAAAAAAAAA', servingBackend: 'legacy', realIds: { legacy: 'rLegacy1' } }, 'vOneAAAAAAAAAAAAAAAAAA');
    expect(merged).toMatchObject({ virtualId: 'vOneAAAAAAAAAAAAAAAAAA', servingBackend: 'legacy', realIds: { main: 'rMain1', legacy: 'rLegacy1' } });
    expect(merged.rev).toBeGreaterThan(first.rev);
    // recreated on legacy: a new real id there makes the new incarnation win
    const recreated = await one.writeTopic({ name: 't', virtualId: 'vThreeAAAAAAAAAAAAAAAA', servingBackend: 'legacy', realIds: { legacy: 'rLegacy2' } }, null);
    expect(recreated).toMatchObject({ virtualId: 'vThreeAAAAAAAAAAAAAAAA', realIds: { legacy: 'rLegacy2' } });
    // a deletion only of the id it names
    expect(await two.forgetTopic('t', 'vOneAAAAAAAAAAAAAAAAAA')).toBe(0);
    expect(await two.forgetTopic('t', 'vThreeAAAAAAAAAAAAAAAA')).toBeGreaterThan(recreated.rev);
    expect((await one.load()).topics).toEqual([]);

    await waitFor(() => heard.length >= 2 || undefined, { timeoutMs: 5_000, what: "one's announcements to reach two" });
    // two hears one's changes, not its own
    expect(heard.map((c) => (c.kind === 'topic' ? c.entry.virtualId : c.kind))).toEqual(['vOneAAAAAAAAAAAAAAAAAA', 'vThreeAAAAAAAAAAAAAAAA']);
  });

  it('gives a leader epoch generation to its first claimant and tells the others', async () => {
    const { one, two, heard } = await connectedPair();
    expect(await one.claimGeneration({ topic: 'orders', generation: 1, backend: 'legacy' })).toBe('legacy');
    expect(await two.claimGeneration({ topic: 'orders', generation: 1, backend: 'main' })).toBe('legacy');
    expect((await two.load()).generations).toEqual([{ topic: 'orders', generation: 1, backend: 'legacy' }]);
    const change = await waitFor(() => heard[0], { timeoutMs: 5_000, what: 'the claim announcement' });
    expect(change).toEqual({ kind: 'generation', generation: { topic: 'orders', generation: 1, backend: 'legacy' } });
  });
});
