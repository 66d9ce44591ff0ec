// One workload client, run inside a zone's network namespace by the zone runner:
//
//   zone-client produce --bootstrap B --topic T --producer I --records N --record-size S --partitions P [--rate R]
//   zone-client consume --bootstrap B --topic T --group G --producers K --per-producer N [--rack Z]
//
// Produce writes N records of S random bytes (acks=all, idempotent, no compression), record i to
// partition i mod P, so every producer spreads its bytes evenly over the partitions; with
// --rate, at most R records a second (so latency measures the path, not a queue).
// Consume reads in a group until the runner writes `stop` on stdin, then reports which
// records it saw, in what order per partition, and how long each took from its produce
// timestamp. Events go to stdout as JSON lines (client-events.ts).
import { randomFillSync } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { emit } from './client-events.js';
import { integerOption } from './cli-numbers.js';
import { LatencyHistogram } from './latency-histogram.js';
import { PartitionOrder } from './partition-order.js';
import { readStamp, SeenRecords, stampRecord } from './record-payload.js';

const { Kafka, logLevel } = kafkajs;

function intOption(values: Record<string, string | boolean | undefined>, name: string, fallback?: number): number {
  const raw = values[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  return integerOption(`--${name}`, raw, 0);
}

function stringOption(values: Record<string, string | boolean | undefined>, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new Error(`--${name} is required`);
  return raw;
}

async function produce(values: Record<string, string | boolean | undefined>): Promise<void> {
  const topic = stringOption(values, 'topic');
  const producerIndex = intOption(values, 'producer');
  const records = intOption(values, 'records');
  const recordSize = intOption(values, 'record-size', 1024);
  const partitions = intOption(values, 'partitions');
  const batch = intOption(values, 'batch', 64);
  const inFlight = intOption(values, 'in-flight', 4);
  const ratePerSecond = intOption(values, 'rate', 0);
  const kafka = new Kafka({ clientId: `zone-producer-${producerIndex}`, brokers: stringOption(values, 'bootstrap').split(','), logLevel: logLevel.NOTHING });
  // Idempotent, so a retry after a lost answer (a broker stopping mid-run) writes no record
  // twice; kafkajs then allows one request in flight per broker.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = Date.now();
  let next = 0;
  let acknowledged = 0;
  const ticker = setInterval(() => emit({ event: 'progress', records: acknowledged }), 500);
  // A few sends in flight per producer, each one batch of records for whichever partitions.
  const lane = async (): Promise<void> => {
    while (next < records) {
      const from = next;
      const to = Math.min(records, from + batch);
      next = to;
      if (ratePerSecond > 0) {
        // Record `from` is due `from / rate` seconds after the start.
        const dueMs = started + (from * 1000) / ratePerSecond - Date.now();
        if (dueMs > 0) await sleep(dueMs);
      }
      const messages = [];
      for (let seq = from; seq < to; seq++) {
        messages.push({ partition: seq % partitions, value: stampRecord(randomFillSync(Buffer.allocUnsafe(recordSize)), producerIndex, seq) });
      }
      await producer.send({ topic, acks: -1, messages });
      acknowledged += to - from;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsedMs = Date.now() - started;
  clearInterval(ticker);
  await producer.disconnect();
  emit({ event: 'produced', records, valueBytes: records * recordSize, elapsedMs });
}

async function consume(values: Record<string, string | boolean | undefined>): Promise<void> {
  const topic = stringOption(values, 'topic');
  const seen = new SeenRecords(intOption(values, 'producers'), intOption(values, 'per-producer'));
  const latency = new LatencyHistogram();
  const order = new PartitionOrder();
  const rack = values.rack;
  const kafka = new Kafka({ clientId: `zone-consumer-${String(rack ?? 'any')}`, brokers: stringOption(values, 'bootstrap').split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: stringOption(values, 'group'),
    ...(typeof rack === 'string' ? { rackId: rack } : {}),
    maxWaitTimeInMs: 500,
  });
  // A crash is an error the application sees. One kafkajs restarts from (a retriable error)
  // is counted once the consumer has had partitions; before that it is the group's
  // coordinator still loading on a fresh cluster. One it does not restart from ends the run.
  let restarts = 0;
  let joined = false;
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) emit({ event: 'error', message: `consumer crashed: ${e.payload.error.message}` });
    else if (joined) restarts += 1;
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    emit({ event: 'assigned', partitions: [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) });
  });
  let valueBytes = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const value = message.value ?? Buffer.alloc(0);
        valueBytes += value.length;
        const stamp = readStamp(value);
        seen.add(stamp);
        latency.add(now - Number(message.timestamp));
        order.add(batch.partition, Number(message.offset), stamp?.producer, stamp?.seq);
      }
    },
  });
  let reported = -1;
  const ticker = setInterval(() => {
    if (seen.records === reported) return;
    reported = seen.records;
    emit({ event: 'progress', records: seen.records });
  }, 500);
  // The runner says when everything it expects has arrived; stdin closing means the same.
  await new Promise<void>((resolveStop) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'stop') resolveStop();
    });
    lines.on('close', resolveStop);
  });
  clearInterval(ticker);
  await consumer.disconnect();
  emit({
    event: 'consumed',
    records: seen.records,
    valueBytes,
    duplicates: seen.duplicates,
    unexpected: seen.unexpected,
    bitmaps: seen.encoded(),
    latencyMs: latency.toJSON(),
    offsetRuns: order.toJSON(),
    offsetRegressions: order.offsetRegressions,
    sequenceRegressions: order.sequenceRegressions,
    restarts,
  });
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: Object.fromEntries(
      ['bootstrap', 'topic', 'producer', 'records', 'record-size', 'partitions', 'batch', 'in-flight', 'rate', 'group', 'producers', 'per-producer', 'rack'].map((name) => [name, { type: 'string' as const }]),
    ),
  });
  if (role === 'produce') await produce(values);
  else if (role === 'consume') await consume(values);
  else throw new Error(`unknown role ${JSON.stringify(role)}: produce or consume`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
