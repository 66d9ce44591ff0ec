// `turnout cutover groups`: after a cutover of the payments domain from legacy (Kafka 3.9.1) to
// main (4.1.1) its consumer groups stay on legacy's coordinator; the move takes them to main's.
// A Java consumer group (classic protocol, VerifiableConsumer) reads through Turnout while an
// idempotent VerifiableProducer writes, across the cutover and the move: every acknowledged
// record is read exactly once, and the group rejoins once on main. A group without members
// keeps exactly the offsets it had committed on legacy.
import kafkajs from 'kafkajs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cutoverGroups } from '../../src/commands/cutover-command.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { AdminApi, cutoverConfig, paymentsTopicOnBoth, testPrefix } from './cutover-helpers.js';
import { formatTrafficReport, startCutoverTraffic } from './cutover-traffic.js';
import { groupsOn } from './multi-backend-helpers.js';
import { mainCluster, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { startFromConfigFile } from './two-domain-turnout.js';

let main: ClusterInfo;
let legacy: ClusterInfo;

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
}, 300_000);

type Offsets = Record<number, string>;

/** A group's committed offsets of a topic, asked of `bootstrap` (a cluster directly, or Turnout). */
async function committed(bootstrap: string, groupId: string, topic: string): Promise<Offsets> {
  const admin = new kafkajs.Kafka({ clientId: 'it-cutover-groups', brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** A group's state and member count on `bootstrap`, e.g. `Stable/1`. */
async function describedOn(bootstrap: string, groupId: string): Promise<string> {
  const admin = new kafkajs.Kafka({ clientId: 'it-cutover-groups', brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return `${groups[0]?.state}/${groups[0]?.members.length}`;
  } finally {
    await admin.disconnect();
  }
}

describe('moving a cut-over domain groups from legacy (3.9.1) to main (4.1.1)', () => {
  it('moves a running Java group and an idle one: read exactly once, one rejoin, offsets copied as they were', { timeout: 300_000 }, async () => {
    const prefix = testPrefix('gm');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const proxy = await startFromConfigFile(cutoverConfig(main, legacy, prefix), { logLevel: 'warn', waitForReadyMs: 60_000 });
    const api = new AdminApi(proxy.adminPort);
    const log = (line: string): void => console.log(line);
    const run = await startCutoverTraffic({
      instances: [proxy.bootstrapServers()],
      topic,
      partitions: 3,
      namePrefix: `${prefix}p-`,
      verifiableProducer: { ratePerSec: 100 },
      groups: [{ kind: 'java-classic', members: 1 }],
      log,
    });
    onTestFinished(() => run.abort());
    const groupId = run.groupIds.get('java-classic') as string;
    await run.waitForProgress(200);

    const cutover = await api.start('payments');
    const done = await api.finished(cutover.id);
    expect(done.phase, `cutover: ${done.rollbackReason}`).toBe('SWITCHED');
    await run.waitForProgress(200);

    // A group without members, with offsets committed through Turnout: they land on legacy.
    const idle = `${prefix}p-idle`;
    const admin = new kafkajs.Kafka({ clientId: 'it-cutover-groups-idle', brokers: [proxy.bootstrapServers()], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.setOffsets({ groupId: idle, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }, { partition: 2, offset: '3' }] });
    await admin.disconnect();
    expect(await committed(legacy.bootstrapServers, idle, topic)).toEqual({ 0: '5', 1: '7', 2: '3' });
    expect(await groupsOn(main)).not.toContain(groupId);

    let printed = '';
    await cutoverGroups('payments', { admin: `http://127.0.0.1:${proxy.adminPort}`, token: ADMIN_WRITE_HEADERS.authorization.slice('Bearer '.length), json: true, out: (t) => (printed += t) });
    const moved = JSON.parse(printed) as { from: string; to: string; groups: Array<{ group: string; offsets: number }>; holdMs: number };
    console.log(JSON.stringify({ test: 'cutover groups', holdMs: moved.holdMs, groups: moved.groups }));
    expect(moved).toMatchObject({ from: 'legacy', to: 'main' });
    expect(moved.groups.map((g) => g.group).sort()).toEqual([groupId, idle].sort());
    // Legacy no longer hears from the groups: what it holds is what the move copied.
    const onLegacy = await committed(legacy.bootstrapServers, groupId, topic);
    expect(Object.keys(onLegacy)).toHaveLength(3);
    expect(await committed(main.bootstrapServers, idle, topic)).toEqual({ 0: '5', 1: '7', 2: '3' });
    expect((await api.list('payments')).segments?.groupsBackend).toBeNull();

    // The member learns at its next heartbeat that main does not know it, and rejoins there.
    await waitFor(async () => ((await describedOn(main.bootstrapServers, groupId)) === 'Stable/1' ? true : undefined), { timeoutMs: 60_000, intervalMs: 250, what: `group ${groupId} to rejoin on main` });
    await run.waitForProgress(200);
    const report = await run.stop();
    for (const line of formatTrafficReport(report)) log(line);
    const g = report.groups[0];
    expect({ lost: g.lost, duplicated: g.duplicated, reordered: g.reordered, mismatched: g.mismatched, commitsOff: g.commitsOff }).toEqual({ lost: 0, duplicated: 0, reordered: 0, mismatched: 0, commitsOff: 0 });
    expect(g.read).toBe(g.expected);
    // One rejoin: the member's partitions are given up once and assigned once.
    expect(g.rebalances).toBeGreaterThan(0);
    expect(g.rebalances).toBeLessThanOrEqual(2);
    // The group now commits on main, from where legacy had it.
    expect(await groupsOn(main)).toContain(groupId);
    const onMain = await committed(main.bootstrapServers, groupId, topic);
    for (const [p, at] of Object.entries(onLegacy)) expect(BigInt(onMain[Number(p)] ?? '-1'), `partition ${p}`).toBeGreaterThanOrEqual(BigInt(at));
    expect(await committed(legacy.bootstrapServers, groupId, topic)).toEqual(onLegacy);
  });
});
