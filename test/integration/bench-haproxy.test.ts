// The bench's HAProxy path against a real cluster: a 1-broker devkit cluster started the way
// the bench starts its own (`turnout kafka up` with the HAProxy listener, each broker's ports
// in a file of its folder), and HAProxy in TCP mode in front of it. A client bootstrapped
// through HAProxy must be told HAProxy's frontend for the broker (so that every later
// connection goes through HAProxy too), a direct client the broker itself; records produced
// and read through HAProxy must show in its frontend byte counters, and its CPU time must be
// readable from /proc. Needs `npm run build` (the cluster is started with dist/src/cli.js).
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaproxy, type HaproxyProcess } from '../../bench/haproxy.js';
import { haproxyBootstrap, haproxyFrontends, startHaproxyCluster, type HaproxyCluster } from '../../bench/haproxy-listeners.js';
import { DEFAULT_KAFKA_VERSION, stopCluster } from '../../src/devkit/index.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER = `it-bench-haproxy-${process.pid}`;

describe('the bench through HAProxy', () => {
  let cluster: HaproxyCluster;
  let haproxy: HaproxyProcess;

  beforeAll(async () => {
    cluster = await startHaproxyCluster({ name: CLUSTER, brokers: 1, version: DEFAULT_KAFKA_VERSION, heapMb: 384, log: () => undefined });
    haproxy = await startHaproxy(haproxyFrontends(CLUSTER, cluster.routes));
  });

  afterAll(async () => {
    await haproxy?.stop();
    await stopCluster(CLUSTER, { timeoutMs: 10_000 });
  });

  const kafkaVia = (bootstrap: string) => new Kafka({ clientId: 'it-bench-haproxy', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });

  it("advertises HAProxy's frontend to clients that came through HAProxy, and the broker itself to direct ones", async () => {
    const route = cluster.routes[0];
    expect(route).toBeDefined();
    const through = kafkaVia(haproxyBootstrap(cluster.routes)).admin();
    const direct = kafkaVia(cluster.info.bootstrapServers).admin();
    await through.connect();
    await direct.connect();
    try {
      expect((await through.describeCluster()).brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: route?.frontendPort }]);
      expect((await direct.describeCluster()).brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: route?.brokerPort }]);
    } finally {
      await through.disconnect();
      await direct.disconnect();
    }
  });

  it('moves produced and fetched records through its frontends, counted in its stats, its CPU read from /proc', async () => {
    const topic = `it-bench-haproxy-${Date.now().toString(36)}`;
    const kafka = kafkaVia(haproxyBootstrap(cluster.routes));
    // The admin client goes direct: HAProxy counts a connection's bytes once it has closed.
    const admin = kafkaVia(cluster.info.bootstrapServers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    const before = await haproxy.clientBytes();
    const cpuBefore = haproxy.meter.cpuSeconds();
    const value = Buffer.alloc(1024, 7);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) await producer.send({ topic, messages: Array.from({ length: 50 }, () => ({ value })) });
    await producer.disconnect();
    const afterProduce = await haproxy.clientBytes();
    expect(afterProduce.inBytes - before.inBytes).toBeGreaterThanOrEqual(1_000 * 1024);

    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async () => {
            read += 1;
            if (read === 1_000) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    const afterFetch = await haproxy.clientBytes();
    expect(afterFetch.outBytes - afterProduce.outBytes).toBeGreaterThanOrEqual(1_000 * 1024);
    expect(haproxy.meter.cpuSeconds()).toBeGreaterThanOrEqual(cpuBefore);
    expect(haproxy.meter.peakRssBytes()).toBeGreaterThan(1024 * 1024);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});
