// Compressed record batches through Turnout: gzip, snappy and lz4 (acceptance-kcat covers none
// and zstd), in front of one cluster and over two. The Java producer (compression.type),
// librdkafka (kcat -z) and kafkajs (gzip, the one codec it carries itself) write through
// Turnout; a raw Fetch through Turnout shows every batch still compressed with the producer's
// codec (Turnout never decompresses); the Java consumer and kcat read every record back
// through Turnout, each partition in offset order, exactly as the cluster holds it.
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { byPartition, readTopic, turnoutForFile, type ReadRecord } from './acceptance-helpers.js';
import { expectAllDelivered, readRecords, writeRecords, type WrittenRecord } from './record-programs.js';
import { kcat, mainCluster, uniqueTopic, type ClusterInfo } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';
import { twoDomainTurnoutForFile } from './two-domain-turnout.js';
import { fetchFirstBatches } from './wire-client.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

const CODECS = ['gzip', 'snappy', 'lz4'] as const;
type Codec = (typeof CODECS)[number];
/** The codec id in a batch's attributes (bits 0-2). */
const CODEC_IDS: Record<Codec, number> = { gzip: 1, snappy: 2, lz4: 3 };
const RECORDS_PER_WRITER = 300;
const KCAT_KEYS = 5;

const single = turnoutForFile('tUrNoUtCaSeCoDeCs1bAcK');
const two = twoDomainTurnoutForFile({ clusterId: 'tUrNoUtCaSeCoDeCs2bAcK', orders: 'czo-', payments: 'czp-' });

/** A topic written by every client with one codec, on one cluster. */
interface CodecTopic {
  codec: Codec;
  name: string;
  cluster: ClusterInfo;
}

function kcatLine(seq: number): string {
  // Repetitive values, so that each codec has something to compress.
  return `kcat-${seq % KCAT_KEYS}\tkcat#${seq}|${'abc'.repeat(20 + (seq % 30))}`;
}

function kafkajsValue(seq: number): string {
  return `kafkajs#${seq}|${'xyz'.repeat(15 + (seq % 40))}`;
}

async function kcatProduce(bootstrap: string, topic: CodecTopic): Promise<void> {
  const input = Array.from({ length: RECORDS_PER_WRITER }, (_, seq) => `${kcatLine(seq)}\n`).join('');
  const put = await kcat(['-b', bootstrap, '-P', '-t', topic.name, '-K', '\t', '-z', topic.codec, '-X', 'acks=all', '-X', 'linger.ms=20'], { input, timeoutMs: 60_000 });
  expect(put.code, `kcat -z ${topic.codec} to ${topic.name}: ${put.stderr}`).toBe(0);
}

async function kafkajsProduceGzip(bootstrap: string, topic: string): Promise<void> {
  const producer = new Kafka({ clientId: 'it-cases-gzip', brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let from = 0; from < RECORDS_PER_WRITER; from += 50) {
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `kafkajs-${(from + i) % 3}`, value: kafkajsValue(from + i) }));
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Which writer a value came from and its number: "java" for RecordWriter's "<topic>#<seq>|...". */
function origin(topic: string, value: string | null): { writer: string; seq: number } {
  const m = /^([^#]+)#(\d+)\|/.exec(value ?? '');
  if (m === null) throw new Error(`value ${value?.slice(0, 60)} of ${topic} was written by no writer of this test`);
  return { writer: m[1] === topic ? 'java' : (m[1] as string), seq: Number(m[2]) };
}

/** Each writer's records are in the cluster once, and each partition holds them in the order they were sent. */
function expectEveryRecordInSendOrder(topic: CodecTopic, stored: readonly ReadRecord[], javaAcks: readonly WrittenRecord[]): void {
  const writers = topic.codec === 'gzip' ? ['java', 'kafkajs', 'kcat'] : ['java', 'kcat'];
  const seen = new Map<string, number[]>();
  for (const [partition, records] of byPartition(stored)) {
    const lastSeq = new Map<string, number>();
    for (const r of records) {
      const { writer, seq } = origin(topic.name, r.value);
      expect(seq, `${writer} record ${seq} of ${topic.name}/${partition} after ${lastSeq.get(writer)}`).toBeGreaterThan(lastSeq.get(writer) ?? -1);
      lastSeq.set(writer, seq);
      seen.set(writer, [...(seen.get(writer) ?? []), seq]);
    }
  }
  expect([...seen.keys()].sort(), `writers found in ${topic.name}`).toEqual(writers);
  for (const writer of writers) expect((seen.get(writer) ?? []).sort((a, b) => a - b), `${writer} records in ${topic.name}`).toEqual(Array.from({ length: RECORDS_PER_WRITER }, (_, i) => i));
  // The Java producer's acknowledgements name where each record is.
  const at = new Map(stored.map((r) => [`${r.partition}@${r.offset}`, r]));
  for (const ack of javaAcks.filter((a) => a.topic === topic.name)) {
    expect(at.get(`${ack.partition}@${ack.offset}`)?.value?.startsWith(`${topic.name}#${ack.seq}|`), `java record ${ack.seq} at ${ack.partition}@${ack.offset}`).toBe(true);
  }
}

/**
 * Every client writes its records through Turnout with the topic's codec; the batches Turnout
 * serves keep that codec; kcat and the Java consumer read back, through Turnout, exactly what
 * the cluster holds.
 */
async function roundTrip(proxy: ProxyHandle, topics: readonly CodecTopic[]): Promise<void> {
  const bootstrap = proxy.bootstrapServers();
  for (const cluster of new Set(topics.map((t) => t.cluster))) {
    await createTopicsAtOnce(cluster, topics.filter((t) => t.cluster === cluster).map((t) => ({ name: t.name, partitions: 3 })));
  }

  const java = await writeRecords(bootstrap, topics.map((t) => `${t.name}=${t.codec}`), { records: RECORDS_PER_WRITER, valueBytes: 150, props: { 'batch.size': '8192' } });
  expectAllDelivered(java);
  expect(java.written).toHaveLength(RECORDS_PER_WRITER * topics.length);
  for (const t of topics) await kcatProduce(bootstrap, t);
  for (const t of topics.filter((x) => x.codec === 'gzip')) await kafkajsProduceGzip(bootstrap, t.name);

  // What a client fetches through Turnout is the producers' batches, compressed as they were sent.
  const batches = await fetchFirstBatches(proxy.ports().advertisedHost, proxy.ports().bootstrap, topics.map((t) => t.name));
  for (const t of topics) {
    const codecs = new Set<number>();
    for (let p = 0; p < 3; p++) {
      const list = batches.get(`${t.name}:${p}`) ?? [];
      expect(list.length, `batches fetched from ${t.name}:${p}`).toBeGreaterThan(0);
      for (const b of list) codecs.add(b.attributes & 0x7);
    }
    expect([...codecs], `codecs of the batches of ${t.name}`).toEqual([CODEC_IDS[t.codec]]);
  }

  const javaRead = await readRecords(bootstrap, topics.map((t) => t.name));
  for (const t of topics) {
    const stored = await readTopic(t.cluster.bootstrapServers, t.name);
    expectEveryRecordInSendOrder(t, stored, java.written);
    const viaKcat = await readTopic(bootstrap, t.name);
    expect(viaKcat, `${t.name} read by kcat through Turnout`).toEqual(stored);
    const viaJava = javaRead.filter((r) => r.topic === t.name);
    for (const [partition, records] of byPartition(viaJava)) {
      const offsets = records.map((r) => r.offset);
      expect(offsets, `offsets of ${t.name}/${partition} in the order the Java consumer returned them`).toEqual([...offsets].sort((a, b) => a - b));
    }
    const asStored = viaJava.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expect(asStored, `${t.name} read by the Java consumer through Turnout`).toEqual(stored.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })));
  }
}

describe('compressed batches through Turnout', () => {
  it('gzip, snappy and lz4 batches from the Java client, kcat and kafkajs come back whole and in order, in front of one cluster', async () => {
    await roundTrip(
      single.proxy,
      CODECS.map((codec) => ({ codec, name: uniqueTopic(`cz-${codec}`), cluster: mainCluster() })),
    );
  });

  it('gzip, snappy and lz4 batches come back whole and in order over two clusters, a topic of each codec on each', async () => {
    const topics: CodecTopic[] = [];
    for (const codec of CODECS) {
      topics.push({ codec, name: uniqueTopic(`czo-${codec}`), cluster: two.main });
      topics.push({ codec, name: uniqueTopic(`czp-${codec}`), cluster: two.legacy });
    }
    await roundTrip(two.proxy, topics);
  });
});
