// An exactly-once application across cutovers: a Java consume-transform-produce loop (a
// read_committed consumer, a transactional producer that commits the consumer's offsets in its
// transactions with the consumer's group metadata) runs through one Turnout instance while its
// domain moves legacy (3.9.1) → main (4.1.1) → legacy, each cutover run from the other instance,
// which never saw the application: it learns of the group from the first instance's drain
// confirmation. Its input is written by another transactional producer of the domain, which
// aborts some of its transactions. The group moves with the transactional id in the same hold:
// every committed input record is written to the output exactly once and no aborted one (read
// back read_committed), the group's committed offsets end where the input ends, on the cluster
// the domain is on, and the group rebalances at most once per cutover.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CutoverApi, runCutover } from '../../src/admin/cutover-client.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { MOVING_DOMAIN, startCutoverInstances, type CutoverInstances } from './cutover-instances.js';
import { startExactlyOnceApp, startInputFeeder, type ExactlyOnceApp } from './exactly-once-stream.js';
import { kcat, uniqueName, waitFor } from './rig.js';

const MOVING = 'ceo-';
const PARTITIONS = 3;

let rig: CutoverInstances;

beforeAll(async () => {
  rig = await startCutoverInstances({ clusterId: 'tUrNoUtCuToVeReOs0000', movingPrefix: MOVING, stayingPrefix: 'cez-', mode: 'in-process', count: 2 });
}, 300_000);

afterAll(async () => {
  await rig?.close();
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface ReadRecord {
  partition: number;
  offset: bigint;
  value: string;
}

/** Every record of a topic, read_committed, through `bootstrap`. */
async function readAll(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const res = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%p\t%o\t%s\n'], { timeoutMs: 120_000 });
  if (res.code !== 0) throw new Error(`kcat could not read ${topic}: ${res.stderr.slice(-2_000)}`);
  return res.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, o, ...v] = l.split('\t');
      return { partition: Number(p), offset: BigInt(o), value: v.join('\t') };
    });
}

async function withAdmin<T>(bootstrap: string, use: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
  const admin = new kafkajs.Kafka({ clientId: 'it-cutover-eos', brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A group's committed offsets of a topic on `bootstrap`, partition → offset. */
function committedOffsets(bootstrap: string, groupId: string, topic: string): Promise<Record<number, bigint>> {
  return withAdmin(bootstrap, async (admin) => {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]));
  });
}

/** A group's state on `bootstrap` (Empty, Stable, Dead, …). */
function groupState(bootstrap: string, groupId: string): Promise<string> {
  return withAdmin(bootstrap, async (admin) => (await admin.describeGroups([groupId])).groups[0]?.state ?? 'Dead');
}

function assignments(app: ExactlyOnceApp): number {
  return app.events.filter((e) => e.event === 'assigned').length;
}

describe('an exactly-once application across cutovers', () => {
  it('its group moves with its transactional id: every input record is transformed once, offsets continue, one rebalance per cutover at most', async () => {
    const input = `${MOVING}${uniqueName('in')}`;
    const output = `${MOVING}${uniqueName('out')}`;
    const groupId = `${MOVING}${uniqueName('app')}`;
    await rig.createDomainTopic(input, PARTITIONS);
    await rig.createDomainTopic(output, PARTITIONS);
    const [appInstance, operatorInstance] = rig.instances;
    const api = new CutoverApi(operatorInstance.adminUrl, ADMIN_WRITE_HEADERS);

    const feeder = await startInputFeeder({ bootstrap: appInstance.bootstrap, transactionalId: `${MOVING}${uniqueName('feed')}`, topic: input, periodMs: 100, recordsPerTransaction: 6, abortEvery: 5 });
    onTestFinished(() => feeder.kill());
    const app = await startExactlyOnceApp({
      bootstrap: appInstance.bootstrap,
      groupId,
      transactionalId: `${MOVING}${uniqueName('txn')}`,
      input,
      output,
      // A member the group had on the cluster it left is gone there within this, so that the group can come back.
      properties: ['consumer.session.timeout.ms=10000', 'consumer.heartbeat.interval.ms=1000'],
      log,
    });
    onTestFinished(() => app.kill());
    // Transactions at a steady pace, every partition in each of them once the backlog is read.
    const progress = async (transactions: number): Promise<void> => {
      const target = app.committedTransactions() + transactions;
      try {
        await waitFor(() => (app.committedTransactions() >= target ? true : undefined), { timeoutMs: 120_000, intervalMs: 100, what: `the application to commit ${transactions} more transactions` });
      } catch (err) {
        const states = `group on legacy: ${await groupState(rig.legacy.bootstrapServers, groupId)}, on main: ${await groupState(rig.main.bootstrapServers, groupId)}`;
        throw new Error(`${(err as Error).message} (${app.committedTransactions()} so far; ${states}); the application's last lines:\n${app.stderrTail()}`);
      }
    };
    await progress(15);
    expect(assignments(app)).toBe(1);

    const legs: Array<{ to: string; from: string }> = [{ to: 'main', from: 'legacy' }, { to: 'legacy', from: 'main' }];
    for (const [i, leg] of legs.entries()) {
      if (i > 0) {
        // The member the group had on the cluster it goes back to has left it there.
        await waitFor(async () => (['Empty', 'Dead'].includes(await groupState(rig[leg.to as 'main' | 'legacy'].bootstrapServers, groupId)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500, what: `group ${groupId} to be empty on ${leg.to}` });
      }
      const before = assignments(app);
      const timeline = await runCutover(api, { domain: MOVING_DOMAIN, to: leg.to, drainTimeoutMs: 10_000 });
      expect(timeline.final.phase, `cutover to ${leg.to}: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');
      // The cutover's record names the group, moved from where it was.
      expect(timeline.final.transactionalGroups).toEqual([expect.objectContaining({ group: groupId, from: leg.from })]);
      log(`cutover to ${leg.to}: ${JSON.stringify(timeline.final.transactionalGroups)}`);
      await progress(15);
      // The group is coordinated where the transactional id is: it rejoined there, and commits there.
      const onTarget = await committedOffsets(rig[leg.to as 'main' | 'legacy'].bootstrapServers, groupId, input);
      expect(Object.keys(onTarget)).toHaveLength(PARTITIONS);
      expect(assignments(app) - before, 'rebalances of the group at this cutover').toBeLessThanOrEqual(1);
      const segments = (await (await fetch(`${operatorInstance.adminUrl}/v1/cutovers?domain=${MOVING_DOMAIN}`)).json()) as { segments: { backend: string; transactionalGroups?: string[] } };
      expect(segments.segments).toMatchObject({ backend: leg.to, transactionalGroups: [groupId] });
    }

    const fed = await feeder.stop();
    expect(fed.code, 'the input producer').toBe(0);
    const inputs = await readAll(appInstance.bootstrap, input);
    const fedTransactions = feeder.transactions();
    expect(fedTransactions.aborted).toBeGreaterThan(0);
    // What the application reads: the committed input records only.
    expect(inputs.length).toBe(fedTransactions.committed * 6);
    expect(inputs.filter((r) => !r.value.endsWith('.C'))).toEqual([]);
    await waitFor(() => (app.committedRecords() >= inputs.length ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, what: `the application to transform all ${inputs.length} input records (${app.committedRecords()} so far)` });
    const end = await app.stop();
    expect(end.code, app.failures.join('\n')).toBe(0);

    // Exactly once: one output record per input record (named by its partition and offset), none other.
    const outputs = await readAll(operatorInstance.bootstrap, output);
    const expected = inputs.map((r) => `${r.value}@${r.partition}:${r.offset}`).sort();
    const seen = outputs.map((r) => r.value).sort();
    const duplicates = seen.filter((v, i) => i > 0 && seen[i - 1] === v);
    expect(duplicates.slice(0, 10)).toEqual([]);
    expect(seen.length).toBe(expected.length);
    expect(seen).toEqual(expected);
    // Each output record went to its input record's partition.
    expect(outputs.filter((r) => !r.value.includes(`@${r.partition}:`)).slice(0, 10)).toEqual([]);

    // The committed offsets continue: they end where the input ends, seen through Turnout and on legacy, where the domain is now.
    const ends: Record<number, bigint> = {};
    for (const r of inputs) if ((ends[r.partition] ?? -1n) < r.offset + 1n) ends[r.partition] = r.offset + 1n;
    expect(await committedOffsets(appInstance.bootstrap, groupId, input)).toEqual(ends);
    expect(await committedOffsets(rig.legacy.bootstrapServers, groupId, input)).toEqual(ends);
    const aborted = app.events.filter((e) => e.event === 'aborted');
    log(`exactly-once app: ${inputs.length} records, ${app.events.filter((e) => e.event === 'committed').length} transactions, ${aborted.length} aborted, ${assignments(app)} assignments`);
    expect(assignments(app)).toBeLessThanOrEqual(1 + legs.length);
  }, 600_000);
});
