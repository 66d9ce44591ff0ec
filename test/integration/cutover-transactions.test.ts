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
import { ApiKey, createAddPartitionsToTxnRequest, createEndTxnRequest, createInitProducerIdRequest, createProduceRequest, ZERO_UUID } from '../../src/codec/index.js';
import { recordBatch } from '../unit/routing/record-batches.js';
import { MOVING_DOMAIN, startCutoverInstances, type CutoverInstances } from './cutover-instances.js';
import { formatTrafficReport, startCutoverTraffic } from './cutover-traffic.js';
import { kcat, uniqueName, uniqueTopic } from './rig.js';
import { leadersOf, WireClient } from './wire-client.js';

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
    const [host, port] = instance.bootstrap.split(':');
    const client = new WireClient(host, Number(port), { clientId: 'it-cutover-seq' });
    onTestFinished(() => client.close());
    const init = createInitProducerIdRequest();
    Object.assign(init, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const producer = (await client.call(ApiKey.InitProducerId, 4, init)).body;
    expect(producer.errorCode).toBe(0);
    const addPartition = (): Promise<number> =>
      retried(async () => {
        const add = createAddPartitionsToTxnRequest();
        Object.assign(add, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producer.producerId, v3AndBelowProducerEpoch: producer.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
        return (await client.call(ApiKey.AddPartitionsToTxn, 3, add)).body.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
      });
    // Produce goes to the partition's leader as a client's does (asked again: it may be another node after the switch).
    const send = (baseSequence: number): Promise<number> =>
      retried(async () => {
        const view = await leadersOf(client, [topic]);
        const leader = view.nodes.get(view.leaders.get(`${topic}:0`) ?? -1);
        if (leader === undefined) throw new Error(`no leader of ${topic}-0 in ${JSON.stringify([...view.leaders])}`);
        const atLeader = new WireClient(leader.host, leader.port, { clientId: 'it-cutover-seq' });
        try {
          const req = createProduceRequest();
          Object.assign(req, { transactionalId, acks: -1, timeoutMs: 10_000 });
          const records = await recordBatch({ producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence, transactional: true, records: 3 });
          req.topicData = [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }];
          return (await atLeader.call(ApiKey.Produce, 9, req)).body.responses[0].partitionResponses[0].errorCode;
        } finally {
          atLeader.close();
        }
      });
    const end = (committed: boolean): Promise<number> =>
      retried(async () => {
        const req = createEndTxnRequest();
        Object.assign(req, { transactionalId, producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed });
        return (await client.call(ApiKey.EndTxn, 3, req)).body.errorCode;
      });
    expect([await addPartition(), await send(0), await end(true)]).toEqual([0, 0, 0]);

    const status = (await (await fetch(`${instance.adminUrl}/v1/cutovers?domain=${MOVING_DOMAIN}`)).json()) as { segments?: { backend?: string } };
    const to = status.segments?.backend === 'main' ? 'legacy' : 'main';
    const api = new CutoverApi(instance.adminUrl, ADMIN_WRITE_HEADERS);
    const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to, drainTimeoutMs: 10_000 });
    expect(timeline.final.phase, `cutover to ${to}: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');

    // Its first transaction there adds the partition and is aborted with no batch sent: the marker is written.
    expect([await addPartition(), await end(false)]).toEqual([0, 0]);
    // The next one goes on at sequence 3, where the client's count is.
    expect([await addPartition(), await send(3), await end(true)]).toEqual([0, 0, 0]);
    const read = await kcat(['-C', '-b', instance.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'], { timeoutMs: 60_000 });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.split('\n').filter((l) => l !== '')).toHaveLength(6);
  }, 120_000);
});

/** Errors a client retries the same request after: a coordinator or a transaction still settling, a leader moving. */
const RETRIED = new Set([6, 14, 15, 16, 19, 51]);

/** `attempt`'s error code, asked again (as a client would) while it is one of RETRIED, for up to 30 s. */
async function retried(attempt: () => Promise<number>): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const code = await attempt();
    if (!RETRIED.has(code) || Date.now() > deadline) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
}
