// Tracing through a real Turnout in front of real brokers, exported over OTLP/HTTP (protobuf) to
// a receiver in the test that decodes every export: a produce and a fetch by kafkajs through
// Turnout in front of the main cluster, a produce split over two backends (one child span per
// destination), a sampling ratio of 0 exporting nothing, and the principal of a client logged
// in with SASL SCRAM.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialStore } from '../../src/auth/file-credential-store.js';
import { deriveScramCredential } from '../../src/auth/scram-credential.js';
import { createLogger } from '../../src/observability/logger.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import { OTLP_SPAN_KIND, OTLP_STATUS, OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';
import { createTopic, mainCluster, uniqueGroup, uniqueName, uniqueTopic, useCluster, type ClusterInfo } from './rig.js';
import { twoDomainConfig } from './two-domain-turnout.js';

const { Kafka, logLevel } = kafkajs;

const TOKEN_ENV = 'TURNOUT_IT_OTLP_TOKEN';
const ORDERS = 'tro-';
const PAYMENTS = 'trp-';

let receiver: OtlpReceiver;

beforeAll(async () => {
  process.env[TOKEN_ENV] = 'Bearer it-token';
  receiver = new OtlpReceiver();
  await receiver.listen();
});

afterAll(async () => {
  delete process.env[TOKEN_ENV];
  await receiver?.close();
});

function tracing(samplingRatio: number, serviceName: string): TurnoutConfigInput['tracing'] {
  return { enabled: true, endpoint: receiver.endpoint, samplingRatio, serviceName, headers: { authorization: { valueEnv: TOKEN_ENV }, 'x-tenant': 'it' } };
}

function singleBackendConfig(samplingRatio: number, serviceName: string): TurnoutConfigInput {
  return {
    virtualCluster: { clusterId: 'tUrNoUtTrAcInGcLuStEr0' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    logging: { level: 'silent' },
    tracing: tracing(samplingRatio, serviceName),
  };
}

/** The spans one Turnout sent, known by its service name. */
function spansOf(serviceName: string): ReceivedSpan[] {
  return receiver.spans.filter((s) => s.resource['service.name'] === serviceName);
}

/** The request spans of an api whose attributes name `topic` among those of the request's own client. */
function requestSpans(serviceName: string, api: string, clientId: string): ReceivedSpan[] {
  return spansOf(serviceName).filter((s) => s.kind === OTLP_SPAN_KIND.server && s.name === `kafka.${api}` && s.attributes['messaging.client.id'] === clientId);
}

async function produceAndConsume(proxy: ProxyHandle, clientId: string, topic: string, count: number, valueBytes = 200): Promise<void> {
  const kafka = new Kafka({ clientId, brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: uniqueGroup('trc'), maxWaitTimeInMs: 200 });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`.padEnd(valueBytes, '.') })) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen} of ${count}`)), 60_000);
      consumer
        .run({
          eachMessage: async () => {
            seen += 1;
            if (seen === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

describe('tracing through Turnout', () => {
  it('exports a span per produce and fetch, with a child per broker request, to the OTLP endpoint', async () => {
    const proxy = await startProxy(singleBackendConfig(1, 'turnout-it-single'));
    const main = mainCluster();
    const topic = await createTopic(main, { name: uniqueTopic('trs'), partitions: 3 });
    try {
      // About 130 KiB a partition: the first fetch's answer is large enough to be streamed.
      await produceAndConsume(proxy, 'it-tracing-single', topic, 400, 1_000);
      await proxy.flushTraces();
    } finally {
      await proxy.close();
    }
    const exports = receiver.exports.filter((e) => e.spans.some((s) => s.resource['service.name'] === 'turnout-it-single'));
    expect(exports.length).toBeGreaterThan(0);
    for (const e of exports) {
      expect(e.path).toBe('/v1/traces');
      expect(e.headers.authorization).toBe('Bearer it-token');
      expect(e.headers['x-tenant']).toBe('it');
    }

    const produces = requestSpans('turnout-it-single', 'Produce', 'it-tracing-single');
    expect(produces.length).toBeGreaterThan(0);
    const brokerPorts = new Set(main.brokers.map((b) => b.port));
    for (const p of produces) {
      expect(p.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'kafka.api.key': 0,
        'kafka.api.name': 'Produce',
        'turnout.listener': 'default',
        'turnout.principal': 'User:ANONYMOUS',
        'turnout.route': 'forwarded',
        'turnout.topic_count': 1,
        'turnout.domain': 'default',
        'turnout.backend': 'main',
        'turnout.upstream_count': 1,
      });
      expect(p.attributes['turnout.partition_count']).toBeGreaterThanOrEqual(1);
      expect(p.attributes['turnout.request_bytes']).toBeGreaterThan(100);
      expect(p.attributes['turnout.response_bytes']).toBeGreaterThan(8);
      expect(p.parentSpanId).toBe('');
      expect(p.status.code).toBe(OTLP_STATUS.unset);
      const children = receiver.childrenOf(p);
      expect(children).toHaveLength(1);
      expect(children[0]).toMatchObject({ kind: OTLP_SPAN_KIND.client, name: 'kafka.Produce' });
      expect(children[0].attributes['turnout.backend']).toBe('main');
      expect(children[0].attributes['turnout.broker_id']).toBe(p.attributes['turnout.broker_id']);
      expect(brokerPorts.has(children[0].attributes['server.port'] as number)).toBe(true);
      expect(children[0].startNanos).toBeGreaterThanOrEqual(p.startNanos);
      expect(children[0].endNanos).toBeLessThanOrEqual(p.endNanos);
    }

    // The fetches that returned records name the topic's partitions; an answer over 64 KiB was
    // streamed to the client, as long as the broker's.
    const fetches = requestSpans('turnout-it-single', 'Fetch', 'it-tracing-single').filter((f) => (f.attributes['turnout.response_bytes'] as number) > 1_000);
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches) {
      expect(f.attributes).toMatchObject({ 'turnout.domain': 'default', 'turnout.backend': 'main', 'turnout.route': 'forwarded' });
      expect(f.attributes['turnout.partition_count']).toBeGreaterThanOrEqual(1);
      expect(receiver.childrenOf(f).map((c) => c.name)).toEqual(['kafka.Fetch']);
    }
    const streamed = fetches.filter((f) => (f.attributes['turnout.response_bytes'] as number) > 64 * 1024);
    expect(streamed.length).toBeGreaterThan(0);
    for (const f of streamed) expect(receiver.childrenOf(f)[0].attributes['turnout.response_bytes']).toBe(f.attributes['turnout.response_bytes']);
    // Group and metadata requests are traced too, each its own trace.
    const names = new Set(spansOf('turnout-it-single').filter((s) => s.kind === OTLP_SPAN_KIND.server).map((s) => s.name));
    for (const api of ['kafka.ApiVersions', 'kafka.Metadata', 'kafka.FindCoordinator', 'kafka.JoinGroup']) expect(names).toContain(api);
  });

  it('gives a produce split over two backends one child span per destination', async () => {
    const main = mainCluster();
    const legacy: ClusterInfo = await useCluster('legacy');
    const config = twoDomainConfig({
      clusterId: 'tUrNoUtTrAcInGtWoBaCk0',
      main,
      legacy,
      orders: ORDERS,
      payments: PAYMENTS,
      // One Turnout node: every partition's leader, so one Produce request carries both topics.
      listener: { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 1 },
    });
    const proxy = await startProxy({ ...config, logging: { level: 'silent' }, tracing: tracing(1, 'turnout-it-split') }, { waitForReadyMs: 60_000 });
    const orders = await createTopic(main, { name: uniqueName('tro'), partitions: 1 });
    const payments = await createTopic(legacy, { name: uniqueName('trp'), partitions: 1 });
    try {
      const kafka = new Kafka({ clientId: 'it-tracing-split', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: orders, messages: [{ key: 'o', value: 'order' }] },
            { topic: payments, messages: [{ key: 'p', value: 'payment' }] },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      await proxy.flushTraces();
    } finally {
      await proxy.close();
    }
    const split = requestSpans('turnout-it-split', 'Produce', 'it-tracing-split').filter((s) => s.attributes['turnout.topic_count'] === 2);
    expect(split).toHaveLength(1);
    const span = split[0];
    expect(span.attributes).toMatchObject({
      'turnout.route': 'deferred',
      'turnout.partition_count': 2,
      'turnout.domain': 'orders,payments',
      'turnout.upstream_count': 2,
    });
    expect(String(span.attributes['turnout.backend']).split(',').sort()).toEqual(['legacy', 'main']);
    expect(span.attributes['turnout.broker_id']).toBeUndefined();
    const children = receiver.childrenOf(span);
    expect(children.map((c) => c.attributes['turnout.backend']).sort()).toEqual(['legacy', 'main']);
    for (const c of children) {
      expect(c).toMatchObject({ kind: OTLP_SPAN_KIND.client, name: 'kafka.Produce' });
      const cluster = c.attributes['turnout.backend'] === 'main' ? main : legacy;
      expect(cluster.brokers.map((b) => b.port)).toContain(c.attributes['server.port']);
      expect(cluster.brokers.map((b) => b.id)).toContain(c.attributes['turnout.broker_id']);
      expect(c.attributes['turnout.response_bytes']).toBeGreaterThan(8);
    }
  });

  it('exports nothing at a sampling ratio of 0, while the clients are served', async () => {
    const exportsBefore = receiver.exports.length;
    const proxy = await startProxy(singleBackendConfig(0, 'turnout-it-unsampled'));
    const topic = await createTopic(mainCluster(), { name: uniqueTopic('tru'), partitions: 1 });
    try {
      await produceAndConsume(proxy, 'it-tracing-unsampled', topic, 10);
      await proxy.flushTraces();
    } finally {
      await proxy.close();
    }
    expect(spansOf('turnout-it-unsampled')).toEqual([]);
    expect(receiver.exports.length).toBe(exportsBefore);
  });

  it('names the principal a client logged in as with SASL SCRAM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-tracing-it-'));
    const users = await FileCredentialStore.open({ file: join(dir, 'turnout.users.json'), log: createLogger({ level: 'silent' }), watch: false });
    await users.setUser('tracer-alice', { 'SCRAM-SHA-512': await deriveScramCredential('SCRAM-SHA-512', 'alice-secret', 4096) });
    const config = singleBackendConfig(1, 'turnout-it-sasl');
    const listener = { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, sasl: { mechanisms: ['SCRAM-SHA-512' as const], required: true } };
    const proxy = await startProxy({ ...config, listeners: [listener] }, { credentialStore: users });
    const topic = await createTopic(mainCluster(), { name: uniqueTopic('trl'), partitions: 1 });
    try {
      const kafka = new Kafka({
        clientId: 'it-tracing-sasl',
        brokers: [proxy.bootstrapServers()],
        sasl: { mechanism: 'scram-sha-512', username: 'tracer-alice', password: 'alice-secret' },
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
      await producer.disconnect();
      await proxy.flushTraces();
    } finally {
      await proxy.close();
      await users.close();
      await rm(dir, { recursive: true, force: true });
    }
    const produces = requestSpans('turnout-it-sasl', 'Produce', 'it-tracing-sasl');
    expect(produces).toHaveLength(1);
    expect(produces[0].attributes['turnout.principal']).toBe('User:tracer-alice');
    // The handshake comes before the login; the last SCRAM round's span ends logged in.
    const handshakes = requestSpans('turnout-it-sasl', 'SaslHandshake', 'it-tracing-sasl');
    expect(handshakes.length).toBeGreaterThan(0);
    for (const h of handshakes) expect(h.attributes['turnout.principal']).toBe('User:ANONYMOUS');
    const logins = requestSpans('turnout-it-sasl', 'SaslAuthenticate', 'it-tracing-sasl');
    expect(logins.map((l) => l.attributes['turnout.principal'])).toContain('User:tracer-alice');
    for (const l of logins) expect(l.attributes['turnout.route']).toBe('answered');
  });
});
