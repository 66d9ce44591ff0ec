// The workload's consumer, run inside a zone's network namespace by the zone runner:
//
//   zone-client consume --bootstrap B --topic T --group G --producers K --per-producer N [--rack Z]
//
// (The producer is the Java client: java/ZoneProducer.java, started by java-producer.ts.)
// Consume reads in a group until the runner writes `stop` on stdin, then reports which
// records it saw, in what order per partition, and how long each took from its produce
// timestamp. Events go to stdout as JSON lines (client-events.ts).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { emit } from './client-events.js';
import { integerOption } from './cli-numbers.js';
import { LatencyHistogram } from './latency-histogram.js';
import { PartitionOrder } from './partition-order.js';
import { readStamp, SeenRecords } from './record-payload.js';

const { Kafka, logLevel } = kafkajs;

function intOption(values: Record<string, string | boolean | undefined>, name: string): number {
  return integerOption(`--${name}`, values[name], 0);
}

function stringOption(values: Record<string, string | boolean | undefined>, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new Error(`--${name} is required`);
  return raw;
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
  // Joins and commits are recorded so that a record read twice can be checked against Kafka's
  // group guarantee: read again only after a rejoin, from the last acknowledged commit.
  // kafkajs 2.2.4 commits after every batch (eachBatch resolves the batch's last offset), so a
  // rejoin reads again at most the batches whose commit had not gone through.
  let rejoins = 0;
  let rebalancing = 0;
  let commits = 0;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    if (joined) rejoins += 1;
    joined = true;
    order.joined();
    emit({ event: 'assigned', partitions: [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) });
  });
  consumer.on(consumer.events.REBALANCING, () => {
    rebalancing += 1;
  });
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
    commits += 1;
    for (const t of e.payload.topics) {
      if (t.topic !== topic) continue;
      for (const p of t.partitions) order.committed(Number(p.partition), Number(p.offset));
    }
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
        order.add(batch.partition, Number(message.offset), stamp?.producer, stamp?.seq, now);
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
    readBreaks: order.readBreaks,
    sequenceRegressions: order.sequenceRegressions,
    tenures: order.tenures,
    rejoins,
    rebalancing,
    commits,
    restarts,
  });
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: Object.fromEntries(
      ['bootstrap', 'topic', 'group', 'producers', 'per-producer', 'rack'].map((name) => [name, { type: 'string' as const }]),
    ),
  });
  if (role === 'consume') await consume(values);
  else throw new Error(`unknown role ${JSON.stringify(role)}: consume`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
