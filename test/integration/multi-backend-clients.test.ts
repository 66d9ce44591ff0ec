// The Java client and librdkafka (kcat) against one Turnout over two clusters (main = Kafka
// 4.1.1 for the orders domain, legacy = 3.9.1 for payments): an idempotent Java producer whose
// requests carry both domains, a Java consumer group and a kcat consumer group. What they
// were acknowledged and what they committed is checked on each backend directly, never
// through Turnout.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { backendFacts, byPartition, expectNoBackendLeak, expectWatchSawOnlyTurnout, readTopic, watchJavaLog, type ReadRecord } from './acceptance-helpers.js';
import {
  committedOffsetsOn,
  groupsOn,
  MULTI_CLUSTER_ID,
  runJavaProgram,
  startJavaProgram,
  startTappedTurnout,
  testProgramClasses,
  topicsOn,
  turnoutRequests,
  type JavaProgram,
  type ProcessResult,
  type TappedTurnout,
} from './multi-backend-helpers.js';
import { createTopic, kcat, mainCluster, uniqueName, useCluster, waitFor, type ClusterInfo } from './rig.js';

let turnout: TappedTurnout;
let main: ClusterInfo;
let legacy: ClusterInfo;

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
  [turnout] = await Promise.all([startTappedTurnout(main, legacy), testProgramClasses()]);
}, 300_000);

afterAll(async () => {
  await turnout?.close();
});

/** One acknowledged record, as MultiDomainProducer prints it. */
interface Ack {
  seq: number;
  topic: string;
  key: string;
  value: string;
  partition: number;
  offset: number;
}

interface ProducerSummary {
  recordSendTotal: number;
  requestTotal: number;
  recordsPerRequestAvg: number | null;
}

interface ProducerRun {
  acks: Ack[];
  summary: ProducerSummary;
  result: ProcessResult;
}

/** Runs MultiDomainProducer through Turnout: `records` records alternating between two topics. */
async function produceAlternating(topicA: string, topicB: string, records: number, opts: { lingerMs: number; batchSizeBytes: number }): Promise<ProducerRun> {
  const result = await runJavaProgram(
    'MultiDomainProducer',
    [turnout.bootstrapServers, topicA, topicB, String(records), '12', String(opts.lingerMs), String(opts.batchSizeBytes)],
    { timeoutMs: 240_000 },
  );
  const acks: Ack[] = [];
  let summary: ProducerSummary | undefined;
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as Ack | { summary: ProducerSummary };
    if ('summary' in parsed) summary = parsed.summary;
    else acks.push(parsed);
  }
  if (summary === undefined) throw new Error(`MultiDomainProducer printed no summary line; stdout ends: ${result.stdout.slice(-1_000)}`);
  return { acks, summary, result };
}

/** Asserts that a client's whole output names no real broker of either backend and not Turnout's own bind address. */
function expectOnlyTurnoutNamed(text: string, what: string): void {
  expectNoBackendLeak(text, what, backendFacts(main));
  expectNoBackendLeak(text, what, backendFacts(legacy));
  expect(text, `${what} names the address Turnout binds behind the tap`).not.toContain('127.0.0.2');
}

function seqOf(value: string | null): number {
  return Number((value ?? '').slice((value ?? '').lastIndexOf('#') + 1));
}

function place(r: { partition: number; offset: number; key: string | null; value: string | null }): string {
  return `${r.partition}@${r.offset} ${r.key} ${r.value}`;
}

/**
 * Asserts that a topic, read directly from its backend, holds exactly the acknowledged
 * records: each once, at its acknowledged partition and offset, offsets from 0 without a gap,
 * and per partition in the order they were sent.
 */
async function expectStoredAsAcknowledged(cluster: ClusterInfo, topic: string, acks: readonly Ack[]): Promise<ReadRecord[]> {
  const stored = await readTopic(cluster.bootstrapServers, topic);
  const expected = acks.filter((a) => a.topic === topic);
  expect(stored.length, `records of ${topic} on ${cluster.cluster}`).toBe(expected.length);
  expect(stored.map(place).sort()).toEqual(expected.map(place).sort());
  for (const [partition, records] of byPartition(stored)) {
    expect(records.map((r) => r.offset), `offsets of ${topic}/${partition}`).toEqual(records.map((_, i) => i));
    const seqs = records.map((r) => seqOf(r.value));
    expect(seqs, `send order of ${topic}/${partition}`).toEqual([...seqs].sort((a, b) => a - b));
  }
  return stored;
}

describe('Java and librdkafka clients over two backends', () => {
  it('one idempotent Java producer writes both domains in the same Produce requests; each record lands once, in order, on its own backend at its acknowledged offset', async () => {
    const records = 3_000;
    const orders = await createTopic(main, { name: uniqueName('mco'), partitions: 3 });
    const payments = await createTopic(legacy, { name: uniqueName('mcp'), partitions: 3 });
    const tapFrom = turnout.produceRequests.length;
    const countedBefore = await turnoutRequests(turnout.proxy, 'Produce');

    const run = await produceAlternating(orders, payments, records, { lingerMs: 20, batchSizeBytes: 2_048 });

    expectOnlyTurnoutNamed(run.result.stdout + run.result.stderr, 'the Java producer');
    expect(run.acks.map((a) => a.seq)).toEqual(Array.from({ length: records }, (_, i) => i));
    for (const a of run.acks) expect(a.topic).toBe(a.seq % 2 === 0 ? orders : payments);

    await expectStoredAsAcknowledged(main, orders, run.acks);
    await expectStoredAsAcknowledged(legacy, payments, run.acks);
    // Neither backend got the other's topic (a metadata request sent to the wrong backend
    // would have auto-created it there).
    expect(await topicsOn(main)).not.toContain(payments);
    expect(await topicsOn(legacy)).not.toContain(orders);

    // What the producer put in each request: records of both backends travel together.
    const tapped = turnout.produceRequests.slice(tapFrom);
    expect(tapped.filter((r) => r.decodeError !== undefined)).toEqual([]);
    const ours = tapped.filter((r) => r.topics.includes(orders) || r.topics.includes(payments));
    const spanning = ours.filter((r) => r.topics.includes(orders) && r.topics.includes(payments));
    const sum = (list: typeof ours): number => list.reduce((n, r) => n + r.records, 0);
    const countedByTurnout = (await turnoutRequests(turnout.proxy, 'Produce')) - countedBefore;
    console.log(
      `[multi-backend-clients] ${records} records in ${ours.length} Produce requests (Turnout counted ${countedByTurnout}); ` +
        `${spanning.length} carried both backends with ${sum(spanning)} records; ` +
        `producer: ${run.summary.requestTotal} requests of every kind, ${run.summary.recordsPerRequestAvg ?? 'n/a'} records per produce request; ` +
        `Produce v${[...new Set(ours.map((r) => r.apiVersion))].join(',')}; took ${run.result.durationMs} ms`,
    );
    expect(countedByTurnout, 'Produce requests Turnout counted vs. the tap saw').toBe(tapped.length);
    expect(sum(ours)).toBeGreaterThanOrEqual(records);
    expect(ours.length).toBeLessThan(records / 10);
    expect(spanning.length, 'Produce requests carrying both domains').toBeGreaterThan(0);
    // Each virtual node leads a partition of both topics, so nearly every request carries both;
    // per-topic batching would leave none.
    expect(sum(spanning), 'records sent in requests carrying both domains').toBeGreaterThan(sum(ours) / 2);
  }, 300_000);
});
