// The traffic harness of the cutover acceptance (cutover-traffic.ts), proven without a cutover:
// two Turnout instances on Redis in front of legacy (3.9.1) and main (4.1.1), half a minute of
// steady traffic with every client the acceptance uses, and a report of all zeros. If the
// harness miscounted here, its zeros after a cutover would mean nothing.
//
// The KIP-848 group reads the staying domain (on main): the moving domain's groups are
// coordinated by legacy, and a Kafka 3.9.1 broker refuses the consumer protocol unless it
// runs with group.coordinator.rebalance.protocols=classic,consumer (the rig's does not).
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { formatTrafficReport, startCutoverTraffic, trafficProblems, type RunningTraffic, type TrafficReport } from './cutover-traffic.js';
import { startCutoverInstances, type CutoverInstances } from './cutover-instances.js';
import { uniqueTopic } from './rig.js';

const CLUSTER_ID = 'tUrNoUtCuToVeRtRaFfIc0';
const MOVING = 'ctm-';
const STAYING = 'cts-';
const PARTITIONS = 3;
const RUN_MS = 30_000;

let rig: CutoverInstances;

beforeAll(async () => {
  rig = await startCutoverInstances({ clusterId: CLUSTER_ID, movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'in-process' });
}, 300_000);

afterAll(async () => {
  await rig?.close();
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function expectClean(report: TrafficReport): void {
  log(formatTrafficReport(report).join('\n'));
  expect(trafficProblems(report)).toEqual([]);
  expect(report.totals).toEqual({
    lost: 0, duplicated: 0, reordered: 0, mismatched: 0, abortedSeen: 0, unacknowledged: 0, rebalances: 0, commitsOff: 0,
    ackConflicts: 0, clientErrors: 0, clientWarnings: 0,
  });
  // Every group read every record: the zeros above count something.
  for (const g of report.groups) {
    expect(g.expected, `${g.group} expected`).toBeGreaterThan(100);
    expect(g.read, `${g.group} read`).toBe(g.expected);
    expect(g.commitsOff, `${g.group} commits checked`).toBe(0);
  }
  expect(report.acksWithoutSendTime).toBe(0);
  for (const p of report.latency.producers()) expect(report.latency.windows(p, report.latencyWindowMs).length, `latency windows of ${p}`).toBeGreaterThanOrEqual(RUN_MS / report.latencyWindowMs - 2);
}

/** Starts traffic runs side by side; if one fails to start, the others are ended too. Each ends with the test. */
async function startedTogether(starts: ReadonlyArray<Promise<RunningTraffic>>): Promise<RunningTraffic[]> {
  const settled = await Promise.allSettled(starts);
  const runs = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  for (const run of runs) onTestFinished(() => run.abort());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return runs;
}

describe('the cutover traffic harness, without a cutover', () => {
  it('half a minute of steady traffic through two instances: every acknowledged record read once and in order by every group, no aborted record, no rebalance, no client error', async () => {
    const moving = `${MOVING}${uniqueTopic('traffic')}`;
    const staying = `${STAYING}${uniqueTopic('traffic')}`;
    await rig.createDomainTopic(moving, PARTITIONS);
    await rig.createDomainTopic(staying, PARTITIONS);
    const instances = rig.instances.map((i) => i.bootstrap);
    const runs = await startedTogether([
      startCutoverTraffic({
        instances,
        topic: moving,
        partitions: PARTITIONS,
        namePrefix: MOVING,
        verifiableProducer: { ratePerSec: 100 },
        transactionalProducer: { periodMs: 500, recordsPerTransaction: 6, abortEvery: 3 },
        kafkajsProducer: { ratePerSec: 20 },
        groups: [{ kind: 'java-classic' }, { kind: 'librdkafka' }, { kind: 'kafkajs' }],
        log,
      }),
      startCutoverTraffic({
        instances,
        topic: staying,
        partitions: PARTITIONS,
        namePrefix: STAYING,
        kafkajsProducer: { ratePerSec: 20 },
        groups: [{ kind: 'java-consumer' }],
        log,
      }),
    ]);
    await Promise.all(runs.map((run) => run.waitForProgress(50, 60_000)));
    await new Promise((r) => setTimeout(r, RUN_MS));
    const [movingReport, stayingReport] = await Promise.all(runs.map((run) => run.stop()));

    expectClean(movingReport);
    // The transactional producer aborted some: read_committed groups had records to skip.
    expect(movingReport.abortedRecords).toBeGreaterThan(0);
    expect(movingReport.groups.map((g) => g.kind)).toEqual(['java-classic', 'librdkafka', 'kafkajs']);
    expectClean(stayingReport);
    expect(stayingReport.groups.map((g) => g.kind)).toEqual(['java-consumer']);
  }, 300_000);
});
