// Acceptance of the zero-downtime cutover (issue 9), against real brokers: two Turnout
// instances (`turnout start` processes) on Redis in front of S = legacy (Kafka 3.9.1) and
// T = main (4.1.1); the moving domain lives on S with T as its migration target.
//   - The domain moves S → T, T → S, S → T under steady traffic from every client of
//     cutover-traffic.ts (three segments): every acknowledged record read once and in order by
//     every group, no aborted record read, no rebalance, no client error; the longest produce
//     latency of each hold is printed.
//   - Rollbacks: an abort in each phase before SWITCHED, and a producer writing to S directly
//     during the hold: the cutover ends ROLLED_BACK, traffic stays on S, nothing is lost.
//   - Offsets: ListOffsets earliest and latest, offsets for timestamps on either side of each
//     switch point, consumers seeking to a switch point - 1, + 1 and to 0.
//
// It runs only where the admin API has the cutover commands: before the first test one instance
// is asked for a dry run (POST /v1/cutovers {dryRun: true}); when the route is unknown
// (404/405) every test of the file fails with CutoverApiMissingError. It is not a skip: a
// build without the cutover fails here. The file's name keeps it out of the suite (vitest includes
// *.test.ts) until the cutover lands; rename it to cutover-acceptance.test.ts then.
//
// The KIP-848 group is coordinated by S (groups keep their coordinator through a cutover),
// and Kafka 3.9.1 refuses the consumer protocol unless its brokers run with
// group.coordinator.rebalance.protocols=classic,consumer: the three-segment test checks the
// legacy rig cluster for it first and fails with that message.
import kafkajs from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { CutoverApi, holdWindow, runCutover, type CutoverPhase, type CutoverTimeline } from '../../src/admin/cutover-client.js';
import { MOVING_DOMAIN, startCutoverInstances, type CutoverInstances } from './cutover-instances.js';
import { formatTrafficReport, startCutoverTraffic, trafficProblems, type GroupSpec, type TrafficReport, type TrafficSpec } from './cutover-traffic.js';
import { groupsOn } from './multi-backend-helpers.js';
import { kafkaToolOk, kcat, uniqueTopic, type ClusterInfo } from './rig.js';

const CLUSTER_ID = 'tUrNoUtCuToVeRaCcEpT00';
const MOVING = 'cam-';
const STAYING = 'cas-';
const PARTITIONS = 3;

// Each test has instances and a Redis key prefix of its own, so that each starts with the
// moving domain on S and one segment per partition.
let rig: CutoverInstances;
let api: CutoverApi;

let cutoverAvailable: Promise<void> | undefined;

/** Asks one instance, once per file, whether the admin API has the cutover commands. */
function ensureCutoverApi(): Promise<void> {
  cutoverAvailable ??= (async () => {
    const probe = await startCutoverInstances({ clusterId: CLUSTER_ID, movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'in-process', count: 1 });
    try {
      await new CutoverApi(probe.instances[0].adminUrl, ADMIN_WRITE_HEADERS).ensureAvailable(MOVING_DOMAIN);
    } finally {
      await probe.close();
    }
  })();
  return cutoverAvailable;
}

// In beforeEach rather than beforeAll: a failing beforeAll marks the tests skipped, a failing
// beforeEach fails each of them.
beforeEach(async () => {
  await ensureCutoverApi();
  rig = await startCutoverInstances({ clusterId: CLUSTER_ID, movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'process' });
  api = new CutoverApi(rig.instances[0].adminUrl, ADMIN_WRITE_HEADERS);
}, 300_000);

afterEach(async () => {
  await rig?.close();
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

const ZEROS = {
  lost: 0, duplicated: 0, reordered: 0, mismatched: 0, abortedSeen: 0, unacknowledged: 0, rebalances: 0, commitsOff: 0,
  ackConflicts: 0, clientErrors: 0, clientWarnings: 0,
};

/** A topic of the moving domain, on S and (empty) on T. */
async function movingTopic(label: string, partitions = PARTITIONS): Promise<string> {
  const topic = `${MOVING}${uniqueTopic(label)}`;
  await rig.createDomainTopic(topic, partitions);
  return topic;
}

/** Partition → end offset, read on a cluster itself. */
async function endOffsetsOn(cluster: ClusterInfo, topic: string): Promise<Map<number, number>> {
  const admin = new kafkajs.Kafka({ clientId: 'it-cutover-ends', brokers: cluster.bootstrapServers.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once `topic`'s end offsets on `cluster` have not moved for `quietMs` (at most a minute). */
async function endsStandStill(cluster: ClusterInfo, topic: string, quietMs: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = JSON.stringify([...(await endOffsetsOn(cluster, topic))]);
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`${topic} on ${cluster.cluster} kept moving for a minute: the hold did not take effect`);
    await new Promise((r) => setTimeout(r, 100));
    const now = JSON.stringify([...(await endOffsetsOn(cluster, topic))]);
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

function total(ends: ReadonlyMap<number, number>): number {
  return [...ends.values()].reduce((a, b) => a + b, 0);
}

/** Starts a traffic run of the moving domain over both instances, ended with the test. */
async function traffic(topic: string, shape: Pick<TrafficSpec, 'verifiableProducer' | 'transactionalProducer' | 'kafkajsProducer'> & { groups: readonly GroupSpec[] }) {
  const run = await startCutoverTraffic({ instances: rig.instances.map((i) => i.bootstrap), topic, partitions: PARTITIONS, namePrefix: MOVING, log, ...shape });
  onTestFinished(() => run.abort());
  return run;
}

/** Fails with what to change when S cannot coordinate a KIP-848 group. */
async function expectConsumerProtocolOn(cluster: ClusterInfo): Promise<void> {
  const out = await kafkaToolOk('kafka-configs', ['--bootstrap-server', cluster.bootstrapServers, '--entity-type', 'brokers', '--entity-name', String(cluster.brokers[0].id), '--describe', '--all']);
  const protocols = /group\.coordinator\.rebalance\.protocols=(\S+)/.exec(out)?.[1] ?? '(not shown)';
  expect(protocols.split(','), `${cluster.cluster} (Kafka ${cluster.version}) coordinates the moving domain's groups and must run with group.coordinator.rebalance.protocols=classic,consumer for the KIP-848 group (rig-clusters.ts, brokerConfig of the legacy role)`).toContain('consumer');
}

/** A kafkajs transaction on `topic` left open until `commit` (it keeps a cutover's drain waiting). */
async function openTransaction(bootstrap: string, topic: string): Promise<{ commit(): Promise<void> }> {
  const producer = new kafkajs.Kafka({ clientId: 'it-cutover-open-txn', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer({
    transactionalId: `${MOVING}open-${Date.now().toString(36)}`,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'open-transaction' }] });
  let done = false;
  const commit = async (): Promise<void> => {
    if (done) return;
    done = true;
    await txn.commit();
    await producer.disconnect();
  };
  onTestFinished(() => commit().catch(() => producer.disconnect()));
  return { commit };
}

function expectReadEverything(report: TrafficReport): void {
  for (const g of report.groups) {
    expect(g.expected, `${g.group} expected`).toBeGreaterThan(0);
    expect(g.read, `${g.group} read`).toBe(g.expected);
  }
}

describe('a domain moved S → T → S → T under steady traffic', () => {
  it('three segments: every acknowledged record read once and in order by every group, no aborted record, no rebalance, no client error', async () => {
    await expectConsumerProtocolOn(rig.legacy);
    const topic = await movingTopic('segments');
    const run = await traffic(topic, {
      verifiableProducer: { ratePerSec: 100 },
      transactionalProducer: { periodMs: 500, recordsPerTransaction: 6, abortEvery: 3 },
      kafkajsProducer: { ratePerSec: 20 },
      groups: [{ kind: 'java-classic' }, { kind: 'java-consumer' }, { kind: 'librdkafka' }, { kind: 'kafkajs' }],
    });
    await run.waitForProgress(100);

    const holds: Array<{ to: string; timeline: CutoverTimeline }> = [];
    const moves: Array<[string, ClusterInfo, ClusterInfo]> = [
      ['main', rig.main, rig.legacy],
      ['legacy', rig.legacy, rig.main],
      ['main', rig.main, rig.legacy],
    ];
    for (const [to, target, source] of moves) {
      const targetBefore = total(await endOffsetsOn(target, topic));
      const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to, drainTimeoutMs: 10_000 });
      expect(timeline.final.phase, `cutover to ${to}: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');
      holds.push({ to, timeline });
      // The source is written no more; new records land on the target.
      const sourceAfter = await endOffsetsOn(source, topic);
      await run.waitForProgress(100);
      expect(await endOffsetsOn(source, topic), `${source.cluster} written after the switch`).toEqual(sourceAfter);
      expect(total(await endOffsetsOn(target, topic)), `records landing on ${target.cluster}`).toBeGreaterThan(targetBefore);
    }

    const report = await run.stop();
    log(formatTrafficReport(report).join('\n'));
    for (const [i, h] of holds.entries()) {
      const w = holdWindow(h.timeline);
      const d = report.latency.during(w.fromMs, w.toMs);
      log(`hold ${i + 1} (to ${h.to}): ${w.toMs - w.fromMs} ms seen from outside; longest produce latency ${d.maxMs} ms (${d.producer ?? 'none'}, ${d.records} records in flight); phases ${h.timeline.seen.map((s) => s.phase).join(' → ')}`);
    }
    expect(trafficProblems(report)).toEqual([]);
    expect(report.totals).toEqual(ZEROS);
    expect(report.abortedRecords).toBeGreaterThan(0);
    expectReadEverything(report);
    // Groups keep their coordinator: S knows them, T does not.
    const onLegacy = await groupsOn(rig.legacy);
    const onMain = await groupsOn(rig.main);
    for (const id of run.groupIds.values()) {
      expect(onLegacy, `group ${id} on legacy`).toContain(id);
      expect(onMain, `group ${id} on main`).not.toContain(id);
    }
  }, 600_000);
});

describe('rollbacks: traffic stays on S and nothing is lost', () => {
  const phases: CutoverPhase[] = ['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED'];

  it.each(phases)('a cutover aborted in %s ends ROLLED_BACK', async (phase) => {
    const topic = await movingTopic(`abort-${phase.toLowerCase()}`);
    const run = await traffic(topic, { verifiableProducer: { ratePerSec: 50 }, kafkajsProducer: { ratePerSec: 20 }, groups: [{ kind: 'java-classic' }, { kind: 'kafkajs' }] });
    await run.waitForProgress(50);
    // HOLDING lasts while a transaction touching the domain is open (the drain waits for it);
    // every other phase lasts while the second instance, paused, cannot confirm it.
    const open = phase === 'HOLDING' ? await openTransaction(rig.instances[0].bootstrap, await movingTopic('abort-open-txn', 1)) : null;
    const second = rig.instances[1];
    onTestFinished(() => second.resume());
    // PREPARED lasts only until every instance confirms it, which can fall between two polls:
    // the second instance is paused while the cutover is still PLANNED (whose preflight needs
    // only the coordinator), so that PREPARED waits for it.
    const pauseIn: CutoverPhase = phase === 'PREPARED' ? 'PLANNED' : phase;
    let abortedIn: CutoverPhase | null = null;
    let abortAnswer = { status: 0, body: '' };
    const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to: 'main', drainTimeoutMs: 60_000 }, {
      onPhase: async (seen, status) => {
        if (abortedIn !== null) return;
        if (seen === pauseIn && open === null) second.pause();
        if (seen !== phase) return;
        abortAnswer = await api.abort(status.id);
        abortedIn = seen;
      },
    });
    second.resume();
    await open?.commit();
    expect(abortedIn, `the cutover never showed ${phase}: ${JSON.stringify(timeline.seen)}`).toBe(phase);
    expect(abortAnswer.status, abortAnswer.body).toBeLessThan(300);
    expect(timeline.final.phase, JSON.stringify(timeline.final)).toBe('ROLLED_BACK');

    await run.waitForProgress(50);
    expect(total(await endOffsetsOn(rig.main, topic)), 'records on main after the rollback').toBe(0);
    const report = await run.stop();
    log(formatTrafficReport(report).join('\n'));
    expect(trafficProblems(report)).toEqual([]);
    expect(report.totals).toEqual(ZEROS);
    expectReadEverything(report);
  }, 300_000);

  it('a producer writing to S directly during the hold makes the cutover roll back', async () => {
    const topic = await movingTopic('direct-writer');
    const run = await traffic(topic, { verifiableProducer: { ratePerSec: 50 }, kafkajsProducer: { ratePerSec: 20 }, groups: [{ kind: 'java-classic' }, { kind: 'kafkajs' }] });
    await run.waitForProgress(50);
    const open = await openTransaction(rig.instances[0].bootstrap, await movingTopic('direct-open-txn', 1));
    const direct = ['direct-0', 'direct-1', 'direct-2', 'direct-3', 'direct-4'];
    let phaseAfterWrite: CutoverPhase | null = null;
    const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to: 'main', drainTimeoutMs: 60_000 }, {
      onPhase: async (seen, status) => {
        if (seen !== 'HOLDING') return;
        // The hold's baseline is read once every instance holds the domain and had what it
        // forwarded answered: records landing before that are indistinguishable from Turnout's
        // own. S's ends standing still say the hold took effect; the open transaction keeps
        // the drain waiting meanwhile.
        await endsStandStill(rig.legacy, topic, 1_000);
        // Around Turnout, straight to S, while Turnout holds the domain's produce requests.
        const written = await kcat(['-b', rig.legacy.bootstrapServers, '-P', '-t', topic, '-p', '0', '-X', 'acks=all'], { input: `${direct.join('\n')}\n` });
        expect(written.code, written.stderr).toBe(0);
        phaseAfterWrite = (await api.status(status.id)).phase;
        await open.commit();
      },
    });
    expect(phaseAfterWrite, 'the direct records were acknowledged while the drain waited').toBe('HOLDING');
    expect(timeline.final.phase, JSON.stringify(timeline.final)).toBe('ROLLED_BACK');
    log(`rolled back: ${JSON.stringify(timeline.final)}`);

    await run.waitForProgress(50);
    expect(total(await endOffsetsOn(rig.main, topic)), 'records on main after the rollback').toBe(0);
    const report = await run.stop();
    log(formatTrafficReport(report).join('\n'));
    // Every group read the direct records too: records no producer of the run acknowledged.
    expect(report.totals).toEqual({ ...ZEROS, unacknowledged: direct.length * report.groups.length });
    for (const g of report.groups) expect(g.read, `${g.group} read`).toBe(g.expected + direct.length);
  }, 300_000);
});

describe('offsets across switch points', () => {
  /** Records r0..r(n-1) after `from`, partition 0, CreateTime base + 10 ms × index, through an instance. */
  async function produce(bootstrap: string, topic: string, from: number, count: number, baseMs: number): Promise<void> {
    const producer = new kafkajs.Kafka({ clientId: 'it-cutover-offsets', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const messages = Array.from({ length: count }, (_, i) => ({ value: `r${from + i}`, partition: 0, timestamp: String(baseMs + (from + i) * 10) }));
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /** kcat through Turnout, from `offset` of partition 0, `count` records: [offset, value] pairs. */
  async function kcatFrom(bootstrap: string, topic: string, offset: number, count: number): Promise<Array<[number, string]>> {
    const r = await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', String(offset), '-c', String(count), '-e', '-J'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
      const m = JSON.parse(l) as { offset: number; payload: string };
      return [m.offset, m.payload];
    });
  }

  /** The Java console consumer through Turnout, from `offset` of partition 0: [offset, value] pairs. */
  async function javaFrom(bootstrap: string, topic: string, offset: number, count: number): Promise<Array<[number, string]>> {
    const out = await kafkaToolOk('kafka-console-consumer', [
      '--bootstrap-server', bootstrap, '--topic', topic, '--partition', '0', '--offset', String(offset), '--max-messages', String(count),
      '--timeout-ms', '30000', '--property', 'print.offset=true',
    ], { timeoutMs: 90_000 });
    return out.split('\n').filter((l) => l.startsWith('Offset:')).map((l) => {
      const m = /^Offset:(\d+)\t(.*)$/.exec(l);
      if (m === null) throw new Error(`unexpected console consumer line ${l}`);
      return [Number(m[1]), m[2]] as [number, string];
    });
  }

  it('ListOffsets, offsets for timestamps and seeks are right on either side of each switch point', async () => {
    const topic = await movingTopic('offsets', 1);
    const base = Date.now() - 60_000;
    const [a, b] = rig.instances;
    // Three segments of 40 records: r0..r39 on S, r40..r79 on T, r80..r119 on S again.
    await produce(a.bootstrap, topic, 0, 40, base);
    expect((await runCutover(api, { domain: MOVING_DOMAIN, to: 'main' })).final.phase).toBe('SWITCHED');
    await produce(b.bootstrap, topic, 40, 40, base);
    expect((await runCutover(api, { domain: MOVING_DOMAIN, to: 'legacy' })).final.phase).toBe('SWITCHED');
    await produce(a.bootstrap, topic, 80, 40, base);
    // Where the records really are.
    expect(await endOffsetsOn(rig.legacy, topic)).toEqual(new Map([[0, 80]]));
    expect(await endOffsetsOn(rig.main, topic)).toEqual(new Map([[0, 40]]));

    for (const instance of rig.instances) {
      const admin = new kafkajs.Kafka({ clientId: 'it-cutover-offsets', brokers: [instance.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const [ends] = await admin.fetchTopicOffsets(topic);
        expect({ low: Number(ends.low), high: Number(ends.high) }, `ListOffsets through ${instance.name}`).toEqual({ low: 0, high: 120 });
        // Offsets for a timestamp: the first record at or after it, on either side of each switch point.
        const at = async (ts: number): Promise<number> => Number((await admin.fetchTopicOffsetsByTimestamp(topic, ts))[0].offset);
        for (const i of [0, 39, 40, 41, 79, 80, 81, 119]) expect(await at(base + i * 10), `offset for the timestamp of r${i} through ${instance.name}`).toBe(i);
        expect(await at(base + 39 * 10 + 5), `between r39 and r40 through ${instance.name}`).toBe(40);
        expect(await at(base + 79 * 10 + 5), `between r79 and r80 through ${instance.name}`).toBe(80);
      } finally {
        await admin.disconnect();
      }
      // The Java client's ListOffsets, earliest (-2) and latest (-1).
      for (const [time, expected] of [['-2', 0], ['-1', 120]] as const) {
        const out = await kafkaToolOk('kafka-get-offsets', ['--bootstrap-server', instance.bootstrap, '--topic', topic, '--time', time]);
        expect(out.trim(), `kafka-get-offsets --time ${time} through ${instance.name}`).toBe(`${topic}:0:${expected}`);
      }
      // Seeks: to each switch point - 1 (reading across it), + 1, and to the start of the first segment.
      for (const e of [40, 80]) {
        expect(await kcatFrom(instance.bootstrap, topic, e - 1, 3), `kcat from ${e - 1} through ${instance.name}`).toEqual([[e - 1, `r${e - 1}`], [e, `r${e}`], [e + 1, `r${e + 1}`]]);
        expect(await kcatFrom(instance.bootstrap, topic, e + 1, 1)).toEqual([[e + 1, `r${e + 1}`]]);
        expect(await javaFrom(instance.bootstrap, topic, e - 1, 3), `Java from ${e - 1} through ${instance.name}`).toEqual([[e - 1, `r${e - 1}`], [e, `r${e}`], [e + 1, `r${e + 1}`]]);
        expect(await javaFrom(instance.bootstrap, topic, e + 1, 1)).toEqual([[e + 1, `r${e + 1}`]]);
      }
      expect(await kcatFrom(instance.bootstrap, topic, 0, 1)).toEqual([[0, 'r0']]);
      expect(await javaFrom(instance.bootstrap, topic, 0, 1)).toEqual([[0, 'r0']]);
      // And the whole partition in one read: r0..r119 at offsets 0..119.
      expect(await kcatFrom(instance.bootstrap, topic, 0, 120)).toEqual(Array.from({ length: 120 }, (_, i) => [i, `r${i}`]));
    }
  }, 300_000);
});
