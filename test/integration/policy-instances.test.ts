// The policy stores behind real Turnout instances over two clusters (main and legacy):
// two instances sharing a Redis store follow a domain moved through either one's admin API,
// keep serving while Redis is down and recover by themselves; one instance on the file store
// keeps its policy when the file turns invalid. The Redis is a private redis-server on an
// ephemeral loopback port, without persistence, stopped at the end (the machine's own Redis
// is never touched).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfigFile } from '../../src/policy/config.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { startProxy } from '../../src/proxy.js';
import { readTopic } from './acceptance-helpers.js';
import { createTopic, mainCluster, uniqueTopic, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { ADMIN_WRITE_HEADERS, TEST_ADMIN_AUTH } from './admin-token.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtPoLiCyInStAnCe00';
/** Topics of the orders domain start with this. */
const ORDERS = 'pio-';
/** Topics of the payments domain start with this. */
const PAYMENTS = 'pip-';

let main: ClusterInfo;
let legacy: ClusterInfo;
let dir: string;
let redis: TestRedis | undefined;
let prefixCounter = 0;
const onExit = (): void => redis?.killNow();

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
  dir = await mkdtemp(join(tmpdir(), 'turnout-policy-instances-'));
  process.once('exit', onExit);
}, 300_000);

afterAll(async () => {
  await redis?.stop();
  process.off('exit', onExit);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The policy file: orders on main, payments on legacy, with the given store. */
function policyFile(store: Record<string, unknown>, ordersBackend = 'main'): Record<string, unknown> {
  return {
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 3 }],
    backends: [
      { name: 'main', bootstrapServers: main.bootstrapServers.split(',') },
      { name: 'legacy', bootstrapServers: legacy.bootstrapServers.split(',') },
    ],
    domains: [
      { name: 'orders', owner: 'team-orders', topics: [`${ORDERS}*`], groups: [`${ORDERS}*`], backend: ordersBackend },
      { name: 'payments', owner: 'team-payments', topics: [`${PAYMENTS}*`], groups: [`${PAYMENTS}*`], backend: 'legacy' },
    ],
    store,
    admin: { host: '127.0.0.1', port: 0, auth: TEST_ADMIN_AUTH },
  };
}

/** Writes a policy file (JSON is YAML) and starts a Turnout instance on it, closed when the test finishes. */
async function startInstance(file: string): Promise<ProxyHandle> {
  const config = await loadConfigFile(file, { severalBackends: true });
  const proxy = await startProxy(config, { configFile: file, logLevel: 'warn', waitForReadyMs: 60_000 });
  onTestFinished(async () => {
    await proxy.close();
  });
  return proxy;
}

function adminUrl(p: ProxyHandle, path: string): string {
  return `http://127.0.0.1:${p.adminPort}${path}`;
}

async function domainBackend(p: ProxyHandle, domain: string): Promise<string> {
  const res = await fetch(adminUrl(p, `/v1/domains/${domain}`));
  expect(res.status).toBe(200);
  return ((await res.json()) as { domain: { backend: string } }).domain.backend;
}

async function setBackend(p: ProxyHandle, domain: string, backend: string): Promise<void> {
  const res = await fetch(adminUrl(p, `/v1/domains/${domain}`), {
    method: 'PUT',
    headers: ADMIN_WRITE_HEADERS,
    body: JSON.stringify({ backend }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function readyStatus(p: ProxyHandle): Promise<number> {
  const res = await fetch(adminUrl(p, '/readyz'));
  await res.arrayBuffer();
  return res.status;
}

/**
 * Polls an instance until it shows the domain on `backend`. The change must arrive; the
 * deadline only catches one that never does.
 */
async function propagation(p: ProxyHandle, domain: string, backend: string): Promise<void> {
  await waitFor(async () => (await domainBackend(p, domain)) === backend, { timeoutMs: 30_000, intervalMs: 10, what: `${domain} on ${backend}` });
}

/** Produces one record through a Turnout instance with kafkajs; resolves once it is acknowledged. */
async function produceThrough(p: ProxyHandle, topic: string, value: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'it-policy-instances', brokers: [p.bootstrapServers()], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  } finally {
    await producer.disconnect();
  }
}

async function valuesOn(cluster: ClusterInfo, topic: string): Promise<string[]> {
  return (await readTopic(cluster.bootstrapServers, topic)).map((r) => String(r.value));
}

describe('two Turnout instances sharing a Redis policy store', () => {
  beforeAll(async () => {
    if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
    redis = new TestRedis(await freePort());
    await redis.start();
  });

  async function startPair(): Promise<[ProxyHandle, ProxyHandle]> {
    const keyPrefix = `turnout:{it-instances-${process.pid}-${++prefixCounter}}:`;
    const file = join(dir, `redis-${prefixCounter}.yaml`);
    const url = (redis as TestRedis).url;
    await writeFile(file, JSON.stringify(policyFile({ type: 'redis', redis: { url, keyPrefix, pollIntervalMs: 1_000, connectTimeoutMs: 2_000 } })));
    const a = await startInstance(file);
    const b = await startInstance(file);
    return [a, b];
  }

  it('a backend moved through one instance admin API is applied by both, and traffic through the other follows it', async () => {
    const topic = `${ORDERS}${uniqueTopic('move')}`;
    await createTopic(main, { name: topic, partitions: 1 });
    await createTopic(legacy, { name: topic, partitions: 1 });
    const [a, b] = await startPair();
    expect(await domainBackend(b, 'orders')).toBe('main');
    await produceThrough(b, topic, 'before');

    await setBackend(a, 'orders', 'legacy');
    await propagation(b, 'orders', 'legacy');
    expect(await domainBackend(a, 'orders')).toBe('legacy');

    await produceThrough(b, topic, 'after');
    expect(await valuesOn(legacy, topic)).toEqual(['after']);
    expect(await valuesOn(main, topic)).toEqual(['before']);
  });

  it('Redis stopped: both keep serving and report not ready; restarted: both are ready again by themselves and later changes propagate', async () => {
    const topic = `${PAYMENTS}${uniqueTopic('outage')}`;
    await createTopic(legacy, { name: topic, partitions: 1 });
    const [a, b] = await startPair();
    const r = redis as TestRedis;
    onTestFinished(async () => {
      await r.start(); // a test that stopped Redis and failed midway
    });

    await r.stop();
    await waitFor(async () => (await readyStatus(a)) !== 200 && (await readyStatus(b)) !== 200, { timeoutMs: 15_000, what: 'both instances to report not ready' });
    await produceThrough(a, topic, 'via-a-during-outage');
    await produceThrough(b, topic, 'via-b-during-outage');
    expect((await valuesOn(legacy, topic)).sort()).toEqual(['via-a-during-outage', 'via-b-during-outage']);
    expect(await readyStatus(a)).not.toBe(200);
    const refused = await fetch(adminUrl(a, '/v1/domains/payments'), { method: 'PUT', headers: ADMIN_WRITE_HEADERS, body: '{"backend":"main"}' });
    expect(refused.status).toBe(503);
    expect(await domainBackend(b, 'payments')).toBe('legacy');

    await r.start();
    await waitFor(async () => (await readyStatus(a)) === 200 && (await readyStatus(b)) === 200, { timeoutMs: 30_000, intervalMs: 20, what: 'both instances to be ready again' });

    await setBackend(a, 'payments', 'main');
    await propagation(b, 'payments', 'main');
  });
});

describe('one Turnout instance on the file store', () => {
  it('keeps its policy when the file becomes invalid, and applies the next valid edit', async () => {
    const topic = `${ORDERS}${uniqueTopic('reload')}`;
    await createTopic(main, { name: topic, partitions: 1 });
    await createTopic(legacy, { name: topic, partitions: 1 });
    const file = join(dir, `file-${++prefixCounter}.yaml`);
    const store = { type: 'file', watchFile: true, reloadDebounceMs: 100 };
    await writeFile(file, JSON.stringify(policyFile(store)));
    const p = await startInstance(file);
    const listBefore = await (await fetch(adminUrl(p, '/v1/domains'))).json();

    // Names a backend that does not exist: fails validation.
    const broken = policyFile(store);
    (broken.domains as Array<Record<string, unknown>>)[0].backend = 'nowhere';
    await writeFile(file, JSON.stringify(broken));
    const report = await waitFor(
      async () => {
        const res = await fetch(adminUrl(p, '/readyz'));
        const body = (await res.json()) as { policyStore?: { lastError: string | null } };
        return body.policyStore?.lastError ? body : undefined;
      },
      { timeoutMs: 10_000, what: 'the failed reload to show on /readyz' },
    );
    expect(report.policyStore?.lastError).toMatch(/nowhere|backend/);
    expect(await (await fetch(adminUrl(p, '/v1/domains'))).json()).toEqual(listBefore);
    await produceThrough(p, topic, 'while-broken');
    expect(await valuesOn(main, topic)).toEqual(['while-broken']);

    await writeFile(file, JSON.stringify(policyFile(store, 'legacy')));
    await waitFor(async () => (await domainBackend(p, 'orders')) === 'legacy', { timeoutMs: 10_000, what: 'the valid edit to apply' });
    const after = (await (await fetch(adminUrl(p, '/readyz'))).json()) as { policyStore?: { lastError: string | null } };
    expect(after.policyStore?.lastError).toBeNull();
    await produceThrough(p, topic, 'after-edit');
    expect(await valuesOn(legacy, topic)).toEqual(['after-edit']);
  });
});

