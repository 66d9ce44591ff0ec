// What both demo flows do with kafkajs through Turnout: (re)create the demo topic, run a
// consumer group that taps every record it receives, produce keyed order events with acks=all
// and note the partition and offset each one was acknowledged at, and wait until the consumer
// has them all (or goes quiet).
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, Message, PartitionerArgs, PartitionMetadata, Producer } from 'kafkajs';
import { sleep, throwIfAborted, unlessAborted } from './demo-abort.js';
import type { ExpectedRecord, ReceivedRecord } from './delivery-check.js';
import { summarizeLatency, type LatencySummary } from './latency-stats.js';
import type { OrderEvent } from './order-events.js';

const { Partitioners } = kafkajs;

export interface ProduceStats {
  records: number;
  payloadBytes: number;
  requests: number;
  durationMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Time from send to acknowledgement of each produce request (acks=all), ms. */
  ackLatencyMs: LatencySummary;
}

/** Creates the topic, first deleting one of that name (topic deletion completes asynchronously). */
export async function recreateTopic(admin: Admin, topic: string, partitions: number, replicationFactor: number, signal: AbortSignal | undefined): Promise<void> {
  const existing = await admin.listTopics();
  if (existing.includes(topic)) await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    throwIfAborted(signal);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true, timeout: 30_000 });
      return;
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (Date.now() > deadline || (type !== 'TOPIC_ALREADY_EXISTS' && type !== 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
      await sleep(500);
    }
  }
}

export class TopicNotReadyError extends Error {
  constructor(readonly topic: string, readonly partitions: number, readonly timeoutMs: number, readonly last: string) {
    super(`topic ${topic} did not show ${partitions} partitions with leaders within ${timeoutMs} ms: ${last}`);
    this.name = 'TopicNotReadyError';
  }
}

/**
 * The topic's partitions once Metadata shows all `partitions` of them with a leader. A topic
 * just created is not known everywhere at once (brokers, and Turnout's merged view of several
 * clusters, catch up within moments): until then Metadata answers UNKNOWN_TOPIC_OR_PARTITION
 * or partitions without a leader, and this asks again.
 */
export async function topicReady(admin: Admin, topic: string, partitions: number, signal: AbortSignal | undefined, timeoutMs = 60_000): Promise<PartitionMetadata[]> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not asked yet';
  for (;;) {
    throwIfAborted(signal);
    try {
      const found = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
      if (found.length === partitions && found.every((p) => p.leader >= 0)) return found;
      last = `${found.length} partitions, ${found.filter((p) => p.leader >= 0).length} with a leader`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new TopicNotReadyError(topic, partitions, timeoutMs, last);
    await sleep(250);
  }
}

export interface ConsumerTap {
  received: ReceivedRecord[];
  latenciesMs: number[];
  firstAt: number;
  lastAt: number;
}

export function newTap(): ConsumerTap {
  return { received: [], latenciesMs: [], firstAt: 0, lastAt: 0 };
}

/** A kafkajs eachBatch handler that notes every record it is given in `tap`. */
export function tapBatches(tap: ConsumerTap): (payload: EachBatchPayload) => Promise<void> {
  return async ({ batch }) => {
    const now = Date.now();
    if (tap.firstAt === 0) tap.firstAt = now;
    tap.lastAt = now;
    for (const m of batch.messages) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = v === undefined ? '' : String(v);
      tap.received.push({
        partition: batch.partition,
        offset: Number(m.offset),
        key: m.key === null ? null : m.key.toString('utf8'),
        value: m.value === null ? null : m.value.toString('utf8'),
        headers,
      });
      tap.latenciesMs.push(now - Number(m.timestamp));
    }
  };
}

/** Starts a kafkajs consumer on `topic` and resolves once the group has assigned every partition. */
export async function startConsumer(consumer: Consumer, topic: string, partitions: number, tap: ConsumerTap, signal: AbortSignal | undefined): Promise<void> {
  let assigned = 0;
  let onJoin: (() => void) | undefined;
  const joined = new Promise<void>((resolve) => {
    onJoin = resolve;
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = Object.values(e.payload.memberAssignment).reduce((n, ps) => n + ps.length, 0);
    if (assigned === partitions) onJoin?.();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: tapBatches(tap) });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the kafkajs consumer was assigned ${assigned} of ${partitions} partitions after 60 s`)), 60_000);
  });
  try {
    await unlessAborted(Promise.race([joined, timedOut]), signal);
  } finally {
    clearTimeout(timer);
  }
}

/** What a producer sends: a keyed event (order-events.ts, payment-events.ts). */
export type KeyedEvent = Pick<OrderEvent, 'key' | 'value' | 'headers'>;

export type EventPartitioner = (args: PartitionerArgs) => number;

// The partition of each event is chosen by the sender, with kafkajs's default
// (Java-compatible) partitioner, so that each acknowledged base offset names exactly which
// events it covers.
export function eventPartitioner(): EventPartitioner {
  return Partitioners.DefaultPartitioner();
}

export interface SentBatch {
  expected: ExpectedRecord[];
  payloadBytes: number;
  /** Time from send to acknowledgement (acks=all), ms. */
  ackMs: number;
}

/** Sends `batch` in one produce request with acks=all and notes the partition and offset each event was acknowledged at. */
export async function sendEvents(producer: Producer, topic: string, batch: readonly KeyedEvent[], metadata: PartitionMetadata[], partitioner: EventPartitioner): Promise<SentBatch> {
  let payloadBytes = 0;
  const messages: Message[] = batch.map((e) => {
    const m: Message = { key: e.key, value: e.value, headers: e.headers };
    m.partition = partitioner({ topic, partitionMetadata: metadata, message: m });
    payloadBytes += Buffer.byteLength(e.key) + Buffer.byteLength(e.value);
    return m;
  });
  const sent = performance.now();
  const acks = await producer.send({ topic, acks: -1, messages });
  const ackMs = performance.now() - sent;
  const baseOffset = new Map<number, number>();
  for (const a of acks) {
    if (a.errorCode !== 0 || a.baseOffset === undefined) throw new Error(`produce to ${topic}-${a.partition} failed with error code ${a.errorCode}`);
    baseOffset.set(a.partition, Number(a.baseOffset));
  }
  const next = new Map<number, number>();
  const expected = batch.map((e, j): ExpectedRecord => {
    const partition = messages[j]?.partition as number;
    const k = next.get(partition) ?? 0;
    next.set(partition, k + 1);
    const base = baseOffset.get(partition);
    if (base === undefined) throw new Error(`no acknowledgement for ${topic}-${partition}`);
    return { partition, offset: base + k, key: e.key, value: e.value, headers: e.headers };
  });
  return { expected, payloadBytes, ackMs };
}

export function produceStats(records: number, payloadBytes: number, requests: number, durationMs: number, ackMs: readonly number[]): ProduceStats {
  return {
    records,
    payloadBytes,
    requests,
    durationMs,
    recordsPerSec: records / (durationMs / 1000),
    mbPerSec: payloadBytes / 1e6 / (durationMs / 1000),
    ackLatencyMs: summarizeLatency(ackMs),
  };
}

/** Sends `events` in batches of `batchSize`, one request at a time. */
export async function produceAll(
  producer: Producer,
  topic: string,
  events: readonly KeyedEvent[],
  metadata: PartitionMetadata[],
  batchSize: number,
  signal: AbortSignal | undefined,
): Promise<{ expected: ExpectedRecord[]; stats: ProduceStats }> {
  const partitioner = eventPartitioner();
  const expected: ExpectedRecord[] = [];
  const ackMs: number[] = [];
  let payloadBytes = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i += batchSize) {
    throwIfAborted(signal);
    const sent = await sendEvents(producer, topic, events.slice(i, i + batchSize), metadata, partitioner);
    for (const e of sent.expected) expected.push(e);
    payloadBytes += sent.payloadBytes;
    ackMs.push(sent.ackMs);
  }
  return { expected, stats: produceStats(expected.length, payloadBytes, ackMs.length, performance.now() - started, ackMs) };
}

/**
 * Waits until the tap holds `count` distinct records (by partition and offset: a record read
 * twice, as after a group rebalance, counts once), or until nothing new arrives for
 * `idleTimeoutMs`; the delivery check then reports what is missing.
 */
export async function waitForRecords(tap: ConsumerTap, count: number, idleTimeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const distinct = new Set<string>();
  let counted = 0;
  let lastChange = Date.now();
  for (;;) {
    throwIfAborted(signal);
    if (tap.received.length > counted) {
      for (; counted < tap.received.length; counted++) {
        const r = tap.received[counted] as ReceivedRecord;
        distinct.add(`${r.partition}:${r.offset}`);
      }
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleTimeoutMs) {
      return;
    }
    if (distinct.size >= count) return;
    await sleep(20);
  }
}
