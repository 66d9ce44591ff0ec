// Idempotent producers through Turnout over two backends while Turnout is killed (SIGKILL)
// mid-stream: a librdkafka producer (confluent-kafka) writing to a topic on main (Kafka
// 4.1.1) and the Java VerifiableProducer writing to one on legacy (3.9.1), at once. Batches in
// flight when Turnout dies are retried by the clients through the instance that serves them
// next; that instance must forward them under the same real producer id as before (the
// binding store), or the broker cannot recognise them and stores them twice.
//
// Every record the clients were told is acknowledged must be stored exactly once, in order
// per partition, at the offset the client was told, read back directly from the backends.
// Two cases: one instance on the file store, killed and restarted on the same ports; two
// instances on a Redis store, the first killed and the producers moving to the second through
// their bootstrap list.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import {
  byPartition,
  idempotentProducerProperties,
  javaClientLogOptions,
  readTopic,
  verifiableProducerEvents,
  type VerifiableProducerEvents,
} from './acceptance-helpers.js';
import { createTopic, mainCluster, startTool, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { freePort, freePortBlock, hasRedis, TestRedis } from './test-redis.js';
import { TurnoutProcess } from './turnout-process.js';
import { twoDomainConfig } from './two-domain-turnout.js';

const CLUSTER_ID = 'tUrNoUtPrOdUcErReStArT';
/** Topics of the orders domain (on main) start with this. */
const ORDERS = 'prr-o-';
/** Topics of the payments domain (on legacy) start with this. */
const PAYMENTS = 'prr-p-';
const NODES = 3;
/** Records per second from each producer. */
const RATE = 200;
const KEYS = 30;
/** Records acknowledged (per producer) before Turnout is killed, and after it before the producers stop. */
const BEFORE_KILL = 600;
const AFTER_KILL = 600;
const PRODUCER_SCRIPT = resolve(import.meta.dirname, 'python/idempotent_producer.py');

/** A python3 that has confluent-kafka (Debian's python3-confluent-kafka, see scripts/setup.sh). */
function pythonWithConfluentKafka(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import confluent_kafka']).status === 0);
}

let main: ClusterInfo;
let legacy: ClusterInfo;
let dir: string;
let python: string;

beforeAll(async () => {
  const found = pythonWithConfluentKafka();
  if (found === undefined) throw new Error('no python3 with confluent_kafka: install the Debian package python3-confluent-kafka (scripts/setup.sh)');
  python = found;
  main = mainCluster();
  legacy = await useCluster('legacy');
  dir = await mkdtemp(join(tmpdir(), 'turnout-producer-restart-'));
}, 300_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** One Turnout instance's ports: fixed, so that a restart binds the same ones. */
interface InstancePorts {
  bootstrap: number;
  nodePortBase: number;
  admin: number;
}

async function instancePorts(): Promise<InstancePorts> {
  return { bootstrap: await freePort(), nodePortBase: await freePortBlock(NODES), admin: await freePort() };
}

/** Writes the configuration of an instance over main and legacy; returns the file. */
async function writeConfig(name: string, ports: InstancePorts, store: Record<string, unknown>): Promise<string> {
  const config = twoDomainConfig({
    clusterId: CLUSTER_ID,
    main,
    legacy,
    orders: ORDERS,
    payments: PAYMENTS,
    listener: { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase, nodes: NODES },
  });
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, stringify({ ...config, admin: { host: '127.0.0.1', port: ports.admin }, store: { watchFile: false, ...store } }));
  return file;
}

/** The librdkafka producer's delivery reports. */
interface LibrdkafkaProducer {
  acked: Array<{ value: number; partition: number; offset: number }>;
  failed: string[];
  stderr(): string;
  /** Stops it sending (SIGTERM); resolves with its last line's totals and exit code once it has reported every record. */
  finish(): Promise<{ done: boolean; sent: number; code: number | null }>;
}

function startLibrdkafkaProducer(bootstrap: string, topic: string): LibrdkafkaProducer {
  const child = spawn(python, [PRODUCER_SCRIPT, bootstrap, topic, String(RATE), String(KEYS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  let done = false;
  let sent = -1;
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-16_384)));
  const out = { acked: [] as LibrdkafkaProducer['acked'], failed: [] as string[], stderr: () => stderr };
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const e = JSON.parse(line) as { acked?: number; partition?: number; offset?: number; failed?: number; error?: string; done?: boolean; sent?: number };
    if (e.done !== undefined) {
      done = e.done;
      sent = e.sent ?? -1;
    }
    else if (e.acked !== undefined) out.acked.push({ value: e.acked, partition: e.partition as number, offset: e.offset as number });
    else if (e.failed !== undefined) out.failed.push(`${e.failed}: ${e.error}`);
  });
  // Its last lines are read before its end is reported.
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const read = new Promise<void>((r) => lines.once('close', () => r()));
  const finished = Promise.all([exited, read]).then(([code]) => ({ done, sent, code }));
  return {
    ...out,
    finish: () => {
      child.kill('SIGTERM');
      return finished;
    },
  };
}

async function startJavaProducer(bootstrap: string, topic: string): Promise<VerifiableProducerEvents> {
  const config = join(dir, `java-${topic}.properties`);
  await writeFile(config, idempotentProducerProperties(120_000, ['reconnect.backoff.max.ms=500']));
  const producer = await startTool(
    'kafka-verifiable-producer',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--acks', '-1', '--throughput', String(RATE), '--max-messages', '-1', '--repeating-keys', String(KEYS), '--producer.config', config],
    await javaClientLogOptions(),
  );
  return verifiableProducerEvents(producer);
}

/** What a topic holds against what its producer was told. */
interface StoredReport {
  acknowledged: number;
  stored: number;
  duplicates: number;
  /** Records stored after one with a higher sequence number in the same partition. */
  outOfOrder: number;
  /** Acknowledged records not found at the partition and offset their acknowledgement named. */
  misplaced: number;
  /** Acknowledged records not stored at all. */
  lost: number;
}

/** The report of a topic that holds each acknowledged record once, in order, where its acknowledgement said. */
function exactlyOnce(acknowledged: number): StoredReport {
  return { acknowledged, stored: acknowledged, duplicates: 0, outOfOrder: 0, misplaced: 0, lost: 0 };
}

async function storedReport(cluster: ClusterInfo, topic: string, acked: ReadonlyArray<{ value: number; partition: number; offset: number }>): Promise<StoredReport> {
  const records = await readTopic(cluster.bootstrapServers, topic, 120_000);
  const values = records.map((r) => Number(r.value));
  const distinct = new Set(values);
  let outOfOrder = 0;
  for (const rs of byPartition(records).values()) {
    let highest = -1;
    for (const r of rs) {
      const v = Number(r.value);
      if (v <= highest) outOfOrder++;
      highest = Math.max(highest, v);
    }
  }
  const at = new Map(records.map((r) => [`${r.partition}@${r.offset}`, Number(r.value)]));
  return {
    acknowledged: acked.length,
    stored: records.length,
    duplicates: records.length - distinct.size,
    outOfOrder,
    misplaced: acked.filter((a) => at.get(`${a.partition}@${a.offset}`) !== a.value).length,
    lost: acked.filter((a) => !distinct.has(a.value)).length,
  };
}

/** The Java producer's acknowledgements as value, partition, offset. */
function javaAcks(events: VerifiableProducerEvents): Array<{ value: number; partition: number; offset: number }> {
  return events.successes.map((e) => ({ value: Number(e.value), partition: e.partition as number, offset: e.offset as number }));
}

/** What happens to Turnout while the producers stream. */
interface Disruption {
  /** Runs once both producers have written through Turnout, while they stream. */
  prepare?: () => Promise<void>;
  /** Runs once both have `BEFORE_KILL` records acknowledged. */
  kill: () => Promise<void>;
  /** Runs right after the kill. */
  after?: () => Promise<void>;
}

/**
 * Streams from both producers through `bootstrap` across `disruption`, stops them once each has
 * `AFTER_KILL` more records acknowledged, and checks both topics against what they were told.
 */
async function streamThroughDisruption(bootstrap: string, disruption: Disruption): Promise<void> {
  const ordersTopic = await createTopic(main, { name: `${ORDERS}${Date.now().toString(36)}`, partitions: 3, replicationFactor: 3 });
  const paymentsTopic = await createTopic(legacy, { name: `${PAYMENTS}${Date.now().toString(36)}`, partitions: 3, replicationFactor: 3 });
  const librdkafka = startLibrdkafkaProducer(bootstrap, ordersTopic);
  const java = await startJavaProducer(bootstrap, paymentsTopic);
  const progress = async (librdkafkaAcked: number, javaAcked: number): Promise<void> => {
    await waitFor(() => librdkafka.acked.length >= librdkafkaAcked, {
      timeoutMs: 60_000,
      what: `librdkafka: ${librdkafkaAcked} records acknowledged; stderr ${librdkafka.stderr().slice(-800)}`,
    });
    await java.progress(`Java: ${javaAcked} records acknowledged`, javaAcked, 60_000);
  };
  await progress(1, 1);
  await Promise.all([disruption.prepare?.(), progress(BEFORE_KILL, BEFORE_KILL)]);
  const ackedAtKill = { librdkafka: librdkafka.acked.length, java: java.acked() };
  await disruption.kill();
  await disruption.after?.();
  await progress(ackedAtKill.librdkafka + AFTER_KILL, ackedAtKill.java + AFTER_KILL);

  java.acked();
  const javaErrorsBeforeStop = java.errors.length;
  const [end, javaExited] = await Promise.all([librdkafka.finish(), java.finish(60_000)]);
  expect(librdkafka.failed, 'librdkafka delivery failures').toEqual([]);
  expect(end, `librdkafka producer end; stderr ${librdkafka.stderr().slice(-1_000)}`).toEqual({ done: true, sent: librdkafka.acked.length, code: 0 });
  expect(javaExited, 'the Java producer closes within 60 s').toBe(true);
  const describeError = (e: { exception?: string; message?: string }): string => `${e.exception}: ${e.message}`;
  expect(java.errors.slice(0, javaErrorsBeforeStop).map(describeError), 'Java send errors').toEqual([]);
  // Stopping the tool may refuse a record it was handing to the closing producer: never sent.
  expect(java.errors.slice(javaErrorsBeforeStop).map(describeError).filter((e) => !/closed/i.test(e)), 'Java send errors while it stops').toEqual([]);
  expect(java.toolData()?.acked, 'Java records acknowledged').toBe(java.successes.length);

  const ordersReport = await storedReport(main, ordersTopic, librdkafka.acked);
  const paymentsReport = await storedReport(legacy, paymentsTopic, javaAcks(java));
  console.log(JSON.stringify({ test: expect.getState().currentTestName, ackedAtKill, librdkafkaOnMain: ordersReport, javaOnLegacy: paymentsReport }));
  expect(ordersReport, 'librdkafka producer, topic on main (4.1.1)').toEqual(exactlyOnce(librdkafka.acked.length));
  expect(paymentsReport, 'Java producer, topic on legacy (3.9.1)').toEqual(exactlyOnce(java.successes.length));
}

describe('idempotent producers through a Turnout killed mid-stream', () => {
  it('one instance on the file store, killed and restarted: every acknowledged record stored once, in order', { timeout: 240_000 }, async () => {
    const ports = await instancePorts();
    const file = await writeConfig('file-store', ports, { type: 'file' });
    const turnout = new TurnoutProcess(file, ports.admin);
    await turnout.start();
    await streamThroughDisruption(`127.0.0.1:${ports.bootstrap}`, { kill: () => turnout.kill(), after: () => turnout.start() });
    expect(turnout.output(), 'the restarted instance used the stored bindings').toContain('producer adopted from the binding store');
  });

  describe('two instances on a Redis store', () => {
    let redis: TestRedis | undefined;
    const onExit = (): void => redis?.killNow();

    beforeAll(async () => {
      if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
      redis = new TestRedis(await freePort());
      await redis.start();
      process.once('exit', onExit);
    });

    afterAll(async () => {
      await redis?.stop();
      process.off('exit', onExit);
    });

    it('the first killed, the producers moving to the second: every acknowledged record stored once, in order', { timeout: 240_000 }, async () => {
      const store = { type: 'redis', redis: { url: (redis as TestRedis).url, keyPrefix: `turnout:{it-producer-restart-${process.pid}}:`, connectTimeoutMs: 2_000 } };
      const [portsA, portsB] = [await instancePorts(), await instancePorts()];
      const a = new TurnoutProcess(await writeConfig('redis-a', portsA, store), portsA.admin);
      const b = new TurnoutProcess(await writeConfig('redis-b', portsB, store), portsB.admin);
      await a.start();
      // B starts once the producers are on A (its bootstrap address refuses until then).
      await streamThroughDisruption(`127.0.0.1:${portsA.bootstrap},127.0.0.1:${portsB.bootstrap}`, { prepare: () => b.start(), kill: () => a.kill() });
      expect(await b.produceRequests(), 'produce requests the second instance served').toBeGreaterThan(0);
      expect(b.output(), 'the second instance used the bindings the first stored').toContain('producer adopted from the binding store');
    });
  });
});
