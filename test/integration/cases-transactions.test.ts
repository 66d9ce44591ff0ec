// Transactions that abort, through Turnout, in front of one cluster and over two: a
// transactional Java producer commits some transactions and aborts others, each spanning two
// topics. Through Turnout, a read_committed consumer (the Java client and librdkafka) sees
// exactly the committed records and a read_uncommitted one sees every record, aborted ones
// included, each at the offset its producer was acknowledged.
import { describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, turnoutForFile } from './acceptance-helpers.js';
import { readRecords, writeTransactions, type TransactionalRecord, type TransactionsOutcome } from './record-programs.js';
import { mainCluster, uniqueName, uniqueTopic, type ClusterInfo } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';
import { twoDomainTurnoutForFile } from './two-domain-turnout.js';

/** One letter per transaction: C commits, A aborts. Ends with an abort, so the last stable offset passes an abort marker. */
const OUTCOMES = 'CACCA';
const RECORDS_PER_TOPIC = 8;

const single = turnoutForFile('tUrNoUtCaSeTxNs1bAcK00');
const two = twoDomainTurnoutForFile({ clusterId: 'tUrNoUtCaSeTxNs2bAcK00', orders: 'cto-', payments: 'ctp-' });

/** Records in the terms every reader prints them: `topic partition@offset key value`, sorted. */
function placed(records: ReadonlyArray<{ topic: string; partition: number; offset: number; key: string | null; value: string | null }>): string[] {
  return records
    .map((r) => ({ ...r, line: `${r.topic} ${r.partition}@${r.offset} ${r.key} ${r.value}` }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset)
    .map((r) => r.line);
}

interface TransactionalRun {
  /** The cluster the transactional id's domain lives on. */
  cluster: ClusterInfo;
  transactionalId: string;
  topics: string[];
}

/** Reads a topic with kcat at an isolation level and names each record with its topic. */
async function kcatRead(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<Array<{ topic: string; partition: number; offset: number; key: string | null; value: string | null }>> {
  return (await readTopic(bootstrap, topic, 60_000, { 'isolation.level': isolation })).map((r) => ({ ...r, topic }));
}

/**
 * Runs the transactions of each run through Turnout, then reads every topic through Turnout
 * at both isolation levels with the Java client and kcat.
 */
async function commitsAndAborts(proxy: ProxyHandle, runs: readonly TransactionalRun[]): Promise<void> {
  const bootstrap = proxy.bootstrapServers();
  for (const run of runs) await createTopicsAtOnce(run.cluster, run.topics.map((name) => ({ name, partitions: 3 })));

  const written: TransactionalRecord[] = [];
  // Each transactional id runs its transactions on its own domain's backend, side by side.
  const outcomes = await Promise.all(runs.map((run) => writeTransactions(bootstrap, run.transactionalId, OUTCOMES, RECORDS_PER_TOPIC, run.topics)));
  runs.forEach((run, i) => {
    const { records, outcomes: done } = outcomes[i] as TransactionsOutcome;
    expect([...done.entries()].sort((a, b) => a[0] - b[0]), `outcomes of ${run.transactionalId}`).toEqual([...OUTCOMES].map((c, t) => [t, c === 'C' ? 'committed' : 'aborted']));
    expect(records).toHaveLength(OUTCOMES.length * RECORDS_PER_TOPIC * run.topics.length);
    written.push(...records);
  });
  const committedTxns = new Set([...OUTCOMES].flatMap((c, i) => (c === 'C' ? [i] : [])));
  const all = placed(written);
  const committed = placed(written.filter((r) => committedTxns.has(r.txn)));
  expect(committed.length).toBeGreaterThan(0);
  expect(committed.length).toBeLessThan(all.length);

  const topics = runs.flatMap((r) => r.topics);
  const [javaCommitted, javaUncommitted] = await Promise.all([
    readRecords(bootstrap, topics, { isolation: 'read_committed' }),
    readRecords(bootstrap, topics, { isolation: 'read_uncommitted' }),
  ]);
  expect(placed(javaCommitted), 'what a read_committed Java consumer reads through Turnout').toEqual(committed);
  expect(placed(javaUncommitted), 'what a read_uncommitted Java consumer reads through Turnout').toEqual(all);

  for (const topic of topics) {
    const mine = (lines: string[]): string[] => lines.filter((l) => l.startsWith(`${topic} `));
    for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
      const expected = mine(isolation === 'read_committed' ? committed : all);
      expect(placed(await kcatRead(bootstrap, topic, isolation)), `${topic} read ${isolation} by kcat through Turnout`).toEqual(expected);
    }
  }
}

describe('aborted transactions through Turnout', () => {
  it('a read_committed consumer sees only committed transactions and a read_uncommitted one sees all, in front of one cluster', async () => {
    await commitsAndAborts(single.proxy, [{ cluster: mainCluster(), transactionalId: uniqueName('ctx'), topics: [uniqueTopic('ctx-a'), uniqueTopic('ctx-b')] }]);
  });

  it('a read_committed consumer sees only committed transactions and a read_uncommitted one sees all, over two clusters', async () => {
    await commitsAndAborts(two.proxy, [
      { cluster: two.main, transactionalId: uniqueName('cto-txn'), topics: [uniqueTopic('cto-a'), uniqueTopic('cto-b')] },
      { cluster: two.legacy, transactionalId: uniqueName('ctp-txn'), topics: [uniqueTopic('ctp-a'), uniqueTopic('ctp-b')] },
    ]);
  });
});
