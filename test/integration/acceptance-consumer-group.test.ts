// Acceptance: a consumer group works through Turnout. Two Java consumers (VerifiableConsumer)
// join one group over a multi-partition topic, one after the other: the group rebalances so
// both own partitions, every record is consumed, and the committed offsets are visible with
// kafka-consumer-groups both through Turnout and directly on the cluster. Run for the classic
// group protocol (JoinGroup/SyncGroup) and for the consumer protocol (KIP-848 heartbeats).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import {
  byPartition,
  expectJavaSawOnlyTurnout,
  expectWatchSawOnlyTurnout,
  javaClientLogOptions,
  javaTool,
  readTopic,
  startTurnout,
  watchJavaLog,
  type JavaLogWatch,
} from './acceptance-helpers.js';
import { createTopic, kcat, mainCluster, startTool, uniqueGroup, waitFor, type RunningTool } from './rig.js';

const CLUSTER_ID = 'tUrNoUtAcCePtGrOuP0000';
const PARTITIONS = 4;
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID));
});

afterAll(async () => {
  await proxy?.close();
});

interface TopicPartition {
  topic: string;
  partition: number;
}

interface ConsumerEvent {
  name: string;
  partitions?: TopicPartition[];
  offsets?: Array<TopicPartition & { offset: number }>;
  success?: boolean;
  error?: string | null;
  key?: string | null;
  value?: string | null;
  partition?: number;
  offset?: number;
}

/** A VerifiableConsumer through Turnout, its JSON events folded into what it owns, consumed and committed. */
class GroupMember {
  readonly assigned = new Set<number>();
  readonly records = new Map<string, { partition: number; offset: number; key: string | null; value: string | null }>();
  readonly committed = new Map<number, number>();
  rebalances = 0;
  failedCommits: string[] = [];
  private read = 0;

  readonly clientLog: JavaLogWatch;

  constructor(readonly name: string, readonly tool: RunningTool) {
    this.clientLog = watchJavaLog(tool.child.stderr!);
  }

  /** Folds in the events printed since the last call. */
  update(): this {
    const lines = this.tool.lines;
    for (; this.read < lines.length; this.read++) {
      const line = lines[this.read];
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as ConsumerEvent;
      switch (e.name) {
        case 'partitions_assigned':
          this.rebalances++;
          for (const p of e.partitions ?? []) this.assigned.add(p.partition);
          break;
        case 'partitions_revoked':
        case 'partitions_lost':
          for (const p of e.partitions ?? []) this.assigned.delete(p.partition);
          break;
        case 'record_data':
          this.records.set(`${e.partition}@${e.offset}`, { partition: e.partition ?? -1, offset: e.offset ?? -1, key: e.key ?? null, value: e.value ?? null });
          break;
        case 'offsets_committed':
          if (e.success === true) for (const o of e.offsets ?? []) this.committed.set(o.partition, Math.max(o.offset, this.committed.get(o.partition) ?? 0));
          else this.failedCommits.push(e.error ?? 'unknown error');
          break;
      }
    }
    return this;
  }

  ownedSorted(): number[] {
    return [...this.update().assigned].sort((a, b) => a - b);
  }
}

async function startMember(name: string, topic: string, group: string, protocol: string): Promise<GroupMember> {
  const tool = await startTool('kafka-verifiable-consumer', [
    '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--group-id', group,
    '--group-protocol', protocol, '--reset-policy', 'earliest', '--verbose',
  ], await javaClientLogOptions());
  return new GroupMember(name, tool);
}

/** Produces `count` keyed records directly on the cluster (the setup, not what is under test). */
async function produceDirect(topic: string, from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, j) => `key-${(from + j) % 16}\tvalue-${from + j}\n`).join('');
  const result = await kcat(['-b', mainCluster().bootstrapServers, '-P', '-t', topic, '-K', '\t', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
}

interface GroupRow {
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  consumerId: string;
}

/** The rows of `kafka-consumer-groups --describe --group` for one topic. */
function parseGroupDescribe(out: string, group: string, topic: string): GroupRow[] {
  const lines = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const header = lines.find((l) => l.startsWith('GROUP'))?.split(/\s+/) ?? [];
  const col = (name: string): number => header.indexOf(name);
  const num = (s: string | undefined): number | null => (s === undefined || s === '-' ? null : Number(s));
  return lines
    .map((l) => l.split(/\s+/))
    .filter((cells) => cells[col('GROUP')] === group && cells[col('TOPIC')] === topic)
    .map((cells) => ({
      partition: Number(cells[col('PARTITION')]),
      currentOffset: num(cells[col('CURRENT-OFFSET')]),
      logEndOffset: num(cells[col('LOG-END-OFFSET')]),
      consumerId: cells[col('CONSUMER-ID')] ?? '-',
    }))
    .sort((a, b) => a.partition - b.partition);
}

async function describeGroup(bootstrap: string, group: string): Promise<{ stdout: string; stderr: string }> {
  return javaTool('kafka-consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--group', group]);
}

describe.each(['classic', 'consumer'])('a consumer group (%s protocol) through Turnout', (protocol) => {
  it('two Java consumers join one after the other, the group rebalances, and commits land on the cluster', async () => {
    const topic = await createTopic(mainCluster(), { partitions: PARTITIONS, replicationFactor: 3 });
    const group = uniqueGroup(`group-${protocol}`);
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    await produceDirect(topic, 0, 100);

    const first = await startMember('first', topic, group, protocol);
    await waitFor(() => first.ownedSorted().length === PARTITIONS && first.records.size >= 100, {
      timeoutMs: 90_000,
      what: `the first consumer to own all partitions and consume the first 100 records (owns ${first.ownedSorted()}, consumed ${first.records.size}); stderr ${first.tool.stderr().slice(-500)}`,
    });
    expect(first.ownedSorted()).toEqual(all);

    const second = await startMember('second', topic, group, protocol);
    // The rebalance: the second member gets partitions, the first gives them up; each
    // partition has exactly one owner.
    await waitFor(
      () => {
        const a = first.ownedSorted();
        const b = second.ownedSorted();
        return b.length > 0 && a.length > 0 && a.length + b.length === PARTITIONS && [...a, ...b].sort((x, y) => x - y).join() === all.join();
      },
      { timeoutMs: 120_000, what: `both consumers to own partitions (first ${first.ownedSorted()}, second ${second.ownedSorted()}); stderr ${second.tool.stderr().slice(-500)}` },
    );
    const ownedByFirst = first.ownedSorted();
    const ownedBySecond = second.ownedSorted();

    await produceDirect(topic, 100, 200);
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    expect(stored).toHaveLength(300);
    const endOffsets = new Map([...byPartition(stored)].map(([p, rs]) => [p, rs[rs.length - 1].offset + 1]));
    await waitFor(() => all.every((p) => (ownedByFirst.includes(p) ? first : second).update().committed.get(p) === endOffsets.get(p)), {
      timeoutMs: 90_000,
      what: 'both consumers to consume and commit to the end of their partitions',
    });
    expect(first.failedCommits).toEqual([]);
    expect(second.failedCommits).toEqual([]);
    expect(first.ownedSorted()).toEqual(ownedByFirst);
    expect(second.ownedSorted()).toEqual(ownedBySecond);

    // Every record was consumed intact, and after the rebalance each member read only its own partitions.
    const consumed = new Map([...first.records, ...second.records]);
    expect([...consumed.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset)).toEqual(
      stored.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })),
    );
    const secondPartitions = new Set([...second.records.values()].map((r) => r.partition));
    expect([...secondPartitions].every((p) => ownedBySecond.includes(p))).toBe(true);
    expect(secondPartitions.size).toBeGreaterThan(0);

    // The committed offsets, as kafka-consumer-groups sees them through Turnout: two members,
    // every partition committed to its end.
    const viaTurnout = await waitFor(
      async () => {
        const result = await describeGroup(proxy.bootstrapServers(), group);
        const rows = parseGroupDescribe(result.stdout, group, topic);
        const ok = rows.length === PARTITIONS && rows.every((r) => r.currentOffset === endOffsets.get(r.partition) && r.logEndOffset === r.currentOffset);
        return ok ? { result, rows } : undefined;
      },
      { timeoutMs: 60_000, what: 'kafka-consumer-groups through Turnout to show the commits' },
    );
    expectJavaSawOnlyTurnout(viaTurnout.result, CLUSTER_ID, 'kafka-consumer-groups --describe');
    expect(new Set(viaTurnout.rows.map((r) => r.consumerId)).size).toBe(2);
    expect(viaTurnout.rows.every((r) => r.consumerId !== '-')).toBe(true);

    // And directly on the cluster: the commit landed where Kafka keeps it.
    const direct = parseGroupDescribe((await describeGroup(mainCluster().bootstrapServers, group)).stdout, group, topic);
    expect(direct.map((r) => [r.partition, r.currentOffset])).toEqual(all.map((p) => [p, endOffsets.get(p)]));

    await second.tool.stop();
    await first.tool.stop();
    expectWatchSawOnlyTurnout(first.clientLog, CLUSTER_ID, 'the first consumer');
    expectWatchSawOnlyTurnout(second.clientLog, CLUSTER_ID, 'the second consumer');
  });
});
