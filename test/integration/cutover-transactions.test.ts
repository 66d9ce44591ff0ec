// A transactional producer across cutovers, against real brokers: the Java producer of the
// cutover traffic (a transaction every period, every third aborted) keeps committing while its
// transactional id's domain moves S → T → S (legacy → main → legacy), through one Turnout.
// Back on S the coordinator gives the id its real producer id from before the first cutover,
// with a new epoch, and the partitions there know that id: Turnout counts the producer's
// sequences from 0 there. A transaction caught between its AddPartitionsToTxn (answered by the
// source) and its Produce (held, then sent to the target) goes on there whole. The read_committed
// group reads every committed record once and no aborted one.
//
// At the wire: a transactional id whose first transaction on the target adds a partition and is
// aborted before any batch got there (an exactly-once application's, whose offsets the new
// coordinator refused) leaves an abort marker there for its new real producer; its next batch,
// whose sequence goes on from the source, is still taken.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { CutoverApi, runCutover } from '../../src/admin/cutover-client.js';
import { MOVING_DOMAIN, startCutoverInstances, type CutoverInstances } from './cutover-instances.js';
import { formatTrafficReport, startCutoverTraffic } from './cutover-traffic.js';
import { kcat, uniqueName, uniqueTopic } from './rig.js';
import { WireTransactionalProducer } from './wire-transactional-producer.js';

const MOVING = 'ctx-';
const PARTITIONS = 3;

let rig: CutoverInstances;

beforeAll(async () => {
  rig = await startCutoverInstances({ clusterId: 'tUrNoUtCuToVeRtXn0000', movingPrefix: MOVING, stayingPrefix: 'cty-', mode: 'in-process', count: 1 });
}, 300_000);

afterAll(async () => {
  await rig?.close();
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

describe('a transactional producer across cutovers', () => {
  it('the Java transactional producer keeps committing across S → T → S; read_committed reads each committed record once', async () => {
    const topic = `${MOVING}${uniqueTopic('txn')}`;
    await rig.createDomainTopic(topic, PARTITIONS);
    const api = new CutoverApi(rig.instances[0].adminUrl, ADMIN_WRITE_HEADERS);
    const run = await startCutoverTraffic({
      instances: rig.instances.map((i) => i.bootstrap),
      topic,
      partitions: PARTITIONS,
      namePrefix: MOVING,
      transactionalProducer: { periodMs: 300, recordsPerTransaction: 6, abortEvery: 3 },
      groups: [{ kind: 'java-classic' }],
      log,
    });
    onTestFinished(() => run.abort());
    await run.waitForProgress(30, 60_000);
    for (const to of ['main', 'legacy']) {
      const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to, drainTimeoutMs: 10_000 });
      expect(timeline.final.phase, `cutover to ${to}: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');
      await run.waitForProgress(30, 60_000);
    }
    const report = await run.stop();
    log(formatTrafficReport(report).join('\n'));
    // Retried answers at a switch (NOT_LEADER_OR_FOLLOWER while leaders are looked up on the
    // target) are logged as warnings; what counts here is that no client failed.
    const { clientWarnings, ...totals } = report.totals;
    log(`client warnings: ${clientWarnings}`);
    expect(totals).toEqual({
      lost: 0, duplicated: 0, reordered: 0, mismatched: 0, abortedSeen: 0, unacknowledged: 0, rebalances: 0, commitsOff: 0,
      ackConflicts: 0, clientErrors: 0,
    });
    expect(report.abortedRecords).toBeGreaterThan(0);
    for (const g of report.groups) {
      expect(g.expected, `${g.group} expected`).toBeGreaterThan(0);
      expect(g.read, `${g.group} read`).toBe(g.expected);
    }
  }, 400_000);

  it('a moved transactional id whose first transaction on the target is aborted before any of its batches got there goes on with its sequences', async () => {
    const topic = `${MOVING}${uniqueTopic('seq')}`;
    const transactionalId = `${MOVING}${uniqueName('txn')}`;
    await rig.createDomainTopic(topic, 1);
    const instance = rig.instances[0];
    const producer = new WireTransactionalProducer(instance.bootstrap, transactionalId, topic, 'it-cutover-seq');
    onTestFinished(() => producer.close());
    expect(await producer.init()).toBe(0);
    const records = ['r0', 'r1', 'r2'];
    expect([await producer.addPartitions([0]), await producer.send(0, records), await producer.end(true)]).toEqual([0, 0, 0]);

    const status = (await (await fetch(`${instance.adminUrl}/v1/cutovers?domain=${MOVING_DOMAIN}`)).json()) as { segments?: { backend?: string } };
    const to = status.segments?.backend === 'main' ? 'legacy' : 'main';
    const api = new CutoverApi(instance.adminUrl, ADMIN_WRITE_HEADERS);
    const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to, drainTimeoutMs: 10_000 });
    expect(timeline.final.phase, `cutover to ${to}: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');

    // Its first transaction there adds the partition and is aborted with no batch sent: the marker is written.
    expect([await producer.addPartitions([0]), await producer.end(false)]).toEqual([0, 0]);
    // The next one goes on at sequence 3, where the client's count is.
    expect(producer.sequenceOf(0)).toBe(3);
    expect([await producer.addPartitions([0]), await producer.send(0, records), await producer.end(true)]).toEqual([0, 0, 0]);
    const read = await kcat(['-C', '-b', instance.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'], { timeoutMs: 60_000 });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.split('\n').filter((l) => l !== '')).toHaveLength(6);
  }, 120_000);
});
