// The Java client and librdkafka (kcat) against one Turnout over two clusters (main = Kafka
// 4.1.1 for the orders domain, legacy = 3.9.1 for payments): an idempotent Java producer whose
// requests carry both domains, a Java consumer group and a kcat consumer group. What they
// were acknowledged and what they committed is checked on each backend directly, never
// through Turnout.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { backendFacts, byPartition, expectJavaSawOnlyTurnout, expectNoBackendLeak, expectWatchSawOnlyTurnout, readTopic, type ReadRecord } from './acceptance-helpers.js';
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
import { createTopic, kafkaToolOk, kcat, mainCluster, uniqueName, useCluster, waitFor, type ClusterInfo } from './rig.js';

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
async function expectStoredAsAcknowledged(cluster: ClusterInfo, topic: string, acks: readonly Ack[]): Promise<void> {
  const stored = await readTopic(cluster.bootstrapServers, topic);
  const expected = acks.filter((a) => a.topic === topic);
  expect(stored.length, `records of ${topic} on ${cluster.cluster}`).toBe(expected.length);
  expect(stored.map(place).sort()).toEqual(expected.map(place).sort());
  for (const [partition, records] of byPartition(stored)) {
    expect(records.map((r) => r.offset), `offsets of ${topic}/${partition}`).toEqual(records.map((_, i) => i));
    const seqs = records.map((r) => seqOf(r.value));
    expect(seqs, `send order of ${topic}/${partition}`).toEqual([...seqs].sort((a, b) => a - b));
  }
}

/** What a GroupMember printed: its latest assignment and the records it read. */
interface MemberView {
  assignment: string[] | undefined;
  records: Array<{ topic: string; partition: number; offset: number; key: string | null; value: string | null }>;
}

function memberView(member: JavaProgram): MemberView {
  const view: MemberView = { assignment: undefined, records: [] };
  for (const line of member.lines) {
    const event = JSON.parse(line) as { assignment?: string[]; topic?: string; partition: number; offset: number; key: string | null; value: string | null };
    if (event.assignment !== undefined) view.assignment = event.assignment;
    else if (event.topic !== undefined) view.records.push({ topic: event.topic, partition: event.partition, offset: event.offset, key: event.key, value: event.value });
  }
  return view;
}

/** True once every member owns partitions and together they own `partitions` partitions, none twice. */
function settled(members: readonly JavaProgram[], partitions: number): boolean {
  const owned = members.map((m) => memberView(m).assignment ?? []);
  const all = owned.flat();
  return owned.every((a) => a.length > 0) && all.length === partitions && new Set(all).size === partitions;
}

/** Produces `key<TAB>value` lines through Turnout with kcat (librdkafka, acks=all). */
async function kcatProduce(topic: string, lines: readonly string[]): Promise<void> {
  const r = await kcat(['-b', turnout.bootstrapServers, '-P', '-t', topic, '-K', '\t', '-X', 'acks=all'], { input: lines.map((l) => `${l}\n`).join(''), timeoutMs: 60_000 });
  if (r.code !== 0 || r.timedOut) throw new Error(`kcat could not produce to ${topic} through Turnout: ${r.stderr.slice(-2_000)}`);
}

/**
 * One run of a kcat balanced consumer (-G) through Turnout: it joins the group, reads from the
 * committed offsets (the earliest without), leaves at the end of every partition and commits
 * what it read on the way out.
 */
async function kcatGroupRead(group: string, topic: string): Promise<ReadRecord[]> {
  const r = await kcat(
    ['-b', turnout.bootstrapServers, '-G', group, '-X', 'auto.offset.reset=earliest', '-X', 'fetch.wait.max.ms=100', '-e', '-q', '-J', topic],
    { timeoutMs: 120_000 },
  );
  if (r.code !== 0 || r.timedOut) throw new Error(`kcat -G ${group} ${topic} through Turnout ${r.timedOut ? 'timed out' : `exited with ${r.code}`}: ${r.stderr.slice(-2_000)}`);
  expectOnlyTurnoutNamed(r.stdout + r.stderr, `kcat -G ${group}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = JSON.parse(l) as { partition: number; offset: number; key: string | null; payload: string | null };
      return { partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers: [] };
    });
}

/** Asserts that a group's committed offsets, read directly on `cluster`, are the end of every partition of `topic`. */
async function expectCommittedAtEnd(cluster: ClusterInfo, group: string, topic: string, partitions: number, total: number): Promise<void> {
  const committed = await committedOffsetsOn(cluster, group);
  expect([...committed.keys()].sort()).toEqual(Array.from({ length: partitions }, (_, p) => `${topic}:${p}`));
  for (const [partition, offsets] of committed) expect(offsets.committed, `committed offset of ${partition}`).toBe(offsets.logEnd);
  expect([...committed.values()].reduce((n, o) => n + o.committed, 0)).toBe(total);
}

describe('Java and librdkafka clients over two backends', () => {
  it('one idempotent Java producer writes both domains in the same Produce requests; each record lands once, in order, on its own backend at its acknowledged offset', async () => {
    const records = 3_000;
    const orders = await createTopic(main, { name: uniqueName('mco'), partitions: 3 });
    const payments = await createTopic(legacy, { name: uniqueName('mcp'), partitions: 3 });
    const tapFrom = turnout.produceRequests.length;
    const countedBefore = await turnoutRequests(turnout.proxy, 'Produce');

    const run = await produceAlternating(orders, payments, records, { lingerMs: 20, batchSizeBytes: 2_048 });

    expectJavaSawOnlyTurnout(run.result, MULTI_CLUSTER_ID, 'the Java producer');
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

  it('a Java consumer group of two members reads two topics of a domain through Turnout and commits; the offsets are on that domain backend only', async () => {
    const records = 1_000;
    const first = await createTopic(main, { name: uniqueName('mco'), partitions: 3 });
    const second = await createTopic(main, { name: uniqueName('mco'), partitions: 2 });
    const group = uniqueName('mco');
    const members = await Promise.all(
      ['a', 'b'].map((name) => startJavaProgram('GroupMember', [turnout.bootstrapServers, group, `${first},${second}`, name, '240000'], [backendFacts(main), backendFacts(legacy)])),
    );
    onTestFinished(() => members.forEach((m) => m.kill()));

    // Records are written only once the group is settled: no commit ever races a rebalance.
    const started = Date.now();
    await waitFor(() => settled(members, 5), { timeoutMs: 120_000, what: `both members of ${group} to own the five partitions between them` });
    const settledMs = Date.now() - started;
    const produced = await produceAlternating(first, second, records, { lingerMs: 5, batchSizeBytes: 16_384 });
    const producedAt = Date.now();
    const readCount = (): number => members.reduce((n, m) => n + memberView(m).records.length, 0);
    await waitFor(() => readCount() >= records || undefined, { timeoutMs: 120_000, what: `the group to read ${records} records (read ${readCount()})` });
    const readMs = Date.now() - producedAt;
    await Promise.all(members.map((m) => m.finish()));
    console.log(`[multi-backend-clients] Java group: settled in ${settledMs} ms, had read all ${records} records ${readMs} ms after the producer exited`);

    const views = members.map(memberView);
    for (const [i, view] of views.entries()) expect(view.records.length, `records member ${i} read`).toBeGreaterThan(0);
    const read = views.flatMap((v) => v.records);
    expect(read.map((r) => `${r.topic} ${place(r)}`).sort(), 'every acknowledged record read once').toEqual(produced.acks.map((a) => `${a.topic} ${place(a)}`).sort());
    for (const [i, m] of members.entries()) {
      const [mainWatch, legacyWatch] = m.watches;
      expectWatchSawOnlyTurnout(mainWatch, MULTI_CLUSTER_ID, `group member ${i}`);
      expect([...legacyWatch.leaks], `group member ${i} names the legacy cluster`).toEqual([]);
      expect(m.stderr(), `group member ${i} names the address Turnout binds behind the tap`).not.toContain('127.0.0.2');
    }

    // The main cluster itself holds the group's positions: the end of every partition.
    const perPartition = new Map<string, number>();
    for (const a of produced.acks) perPartition.set(`${a.topic}:${a.partition}`, (perPartition.get(`${a.topic}:${a.partition}`) ?? 0) + 1);
    const committed = await committedOffsetsOn(main, group);
    expect([...committed.keys()].sort()).toEqual([0, 1, 2].map((p) => `${first}:${p}`).concat([0, 1].map((p) => `${second}:${p}`)).sort());
    for (const [partition, offsets] of committed) {
      expect(offsets.committed, `committed offset of ${partition}`).toBe(perPartition.get(partition) ?? 0);
      expect(offsets.logEnd, `end offset of ${partition}`).toBe(offsets.committed);
    }
    expect(await groupsOn(legacy)).not.toContain(group);
    expect((await committedOffsetsOn(legacy, group)).size).toBe(0);
  }, 300_000);

  it('a kcat consumer group reads a domain topic through Turnout once and commits on that domain backend only; its next run resumes from those commits; its offsets and then the group are deleted through Turnout', async () => {
    const payments = await createTopic(legacy, { name: uniqueName('mcp'), partitions: 3 });
    const group = uniqueName('mcp');
    const lines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `key-${(from + i) % 7}\tpayment-${from + i}`);
    const byPlace = (records: readonly ReadRecord[]): string[] => records.map(place).sort();

    await kcatProduce(payments, lines(0, 300));
    const firstRun = await kcatGroupRead(group, payments);
    const stored = await readTopic(legacy.bootstrapServers, payments);
    expect(stored).toHaveLength(300);
    expect(byPlace(firstRun), 'the first run read every record once').toEqual(byPlace(stored));
    await expectCommittedAtEnd(legacy, group, payments, 3, 300);
    expect(await groupsOn(main)).not.toContain(group);

    await kcatProduce(payments, lines(300, 500));
    const secondRun = await kcatGroupRead(group, payments);
    const storedAfter = await readTopic(legacy.bootstrapServers, payments);
    const added = storedAfter.filter((r) => !stored.some((s) => s.partition === r.partition && s.offset === r.offset));
    expect(added).toHaveLength(200);
    expect(byPlace(secondRun), 'the second run read only the records written since').toEqual(byPlace(added));
    await expectCommittedAtEnd(legacy, group, payments, 3, 500);
    expect(await groupsOn(main)).not.toContain(group);
    expect((await committedOffsetsOn(main, group)).size).toBe(0);

    // Deleted through Turnout, on the group's backend: one group's offsets (an empty group
    // without offsets is then gone too, as Kafka does), and a second group as a whole.
    const deletedOffsets = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', turnout.bootstrapServers, '--group', group, '--delete-offsets', '--topic', payments]);
    expectOnlyTurnoutNamed(deletedOffsets, 'kafka-consumer-groups --delete-offsets');
    expect((await committedOffsetsOn(legacy, group)).size, 'offsets left on legacy after --delete-offsets').toBe(0);
    const other = uniqueName('mcp');
    expect(await kcatGroupRead(other, payments)).toHaveLength(500);
    expect(await groupsOn(legacy)).toContain(other);
    const deleted = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', turnout.bootstrapServers, '--group', other, '--delete']);
    expect(deleted).toMatch(/successful/i);
    expect(await groupsOn(legacy)).not.toContain(other);
  }, 300_000);
});
