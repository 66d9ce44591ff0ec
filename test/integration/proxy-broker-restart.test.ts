// A backend broker stops and comes back while clients produce through Turnout: clients see
// only retriable failures, every acknowledged record is there afterwards, and Turnout's
// picture of the cluster follows the broker out and back in.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { consumeLines, createTopic, deleteTopics, mainCluster, startRigBroker, stopRigBroker, waitFor } from './rig.js';

const { Kafka, logLevel } = kafkajs;

let proxy: ProxyHandle;
let topic: string;

beforeAll(async () => {
  proxy = await startProxy({
    virtualCluster: { clusterId: 'tUrNoUtBrOkErReStArT00' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    topology: { refreshIntervalMs: 2_000 },
    logging: { level: (process.env.TURNOUT_LOG_LEVEL as 'info' | undefined) ?? 'silent' },
  });
  topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3, cleanup: false });
});

afterAll(async () => {
  await proxy?.close();
  if (topic !== undefined) await deleteTopics(mainCluster(), [topic]);
});

async function liveBrokerCount(admin: kafkajs.Admin): Promise<number> {
  const c = await admin.describeCluster();
  return c.brokers.length;
}

describe('broker restart behind Turnout', () => {
  it('keeps producing through a broker stop and start, losing no acknowledged record', async () => {
    const kafka = new Kafka({
      clientId: 'it-restart',
      brokers: [proxy.bootstrapServers()],
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await producer.connect();

    const acked: string[] = [];
    let failures = 0;
    let running = true;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        const value = `r-${i}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ key: String(i % 7), value }] });
          acked.push(value);
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    try {
      await waitFor(() => acked.length >= 20, { timeoutMs: 30_000, what: 'records before the stop' });
      const victim = mainCluster().brokers[1].id;
      await stopRigBroker(mainCluster(), victim);
      await waitFor(async () => (await liveBrokerCount(admin)) === 2, { timeoutMs: 60_000, what: 'Turnout to drop the stopped broker' });
      const atStop = acked.length;
      await waitFor(() => acked.length >= atStop + 20, { timeoutMs: 60_000, what: 'records while a broker is down' });

      await startRigBroker(mainCluster(), victim);
      await waitFor(async () => (await liveBrokerCount(admin)) === 3, { timeoutMs: 60_000, what: 'Turnout to see the broker again' });
      const atStart = acked.length;
      await waitFor(() => acked.length >= atStart + 20, { timeoutMs: 60_000, what: 'records after the restart' });
    } finally {
      running = false;
      await loop;
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }

    expect(failures).toBe(0);
    const got = new Set(await consumeLines(proxy.bootstrapServers(), topic, { count: acked.length, timeoutMs: 30_000 }));
    const missing = acked.filter((v) => !got.has(v));
    expect(missing).toEqual([]);
    expect(proxy.isReady()).toBe(true);
  });
});
