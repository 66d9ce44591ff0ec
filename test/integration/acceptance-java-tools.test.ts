// Acceptance: Kafka's own Java tools work through Turnout unchanged. A topic created and
// described through Turnout shows only Turnout's nodes; keyed records written by the console
// producer come back through a console consumer in a group intact and in order per
// partition; the producer perf test finishes with every record acknowledged exactly once.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import {
  byPartition,
  expectJavaSawOnlyTurnout,
  javaTool,
  readTopic,
  startTurnout,
  valuesByKey,
  virtualNodeIds,
} from './acceptance-helpers.js';
import { createTopic, deleteTopics, describeTopic, mainCluster, uniqueGroup, uniqueTopic, waitFor, type PartitionInfo } from './rig.js';

const CLUSTER_ID = 'tUrNoUtAcCePtJaVaToOl0';
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID));
});

afterAll(async () => {
  await proxy?.close();
});

describe('Java tools through Turnout', () => {
  it('kafka-topics creates a topic through Turnout and describes it with Turnout node ids only', async () => {
    const topic = uniqueTopic('java-create');
    onTestFinished(() => deleteTopics(mainCluster(), [topic]));
    const created = await javaTool('kafka-topics', [
      '--bootstrap-server', proxy.bootstrapServers(),
      '--create', '--topic', topic, '--partitions', '3', '--replication-factor', '3',
    ]);
    expect(created.stdout).toContain(`Created topic ${topic}.`);
    expectJavaSawOnlyTurnout(created, CLUSTER_ID, 'kafka-topics --create');

    // The cluster itself has the topic as asked for.
    const real = await waitFor(async () => {
      const parts = await describeTopic(mainCluster(), topic);
      return parts.length === 3 && parts.every((p) => p.leader >= 0 && p.isr.length === 3) ? parts : undefined;
    }, { timeoutMs: 60_000, what: 'the topic on the cluster with all replicas in sync' });

    const virtualIds = virtualNodeIds(proxy);
    const realIds = new Set(mainCluster().brokers.map((b) => b.id));
    // The check below can only catch a pass-through if the two id sets differ.
    expect([...realIds].some((id) => !virtualIds.has(id))).toBe(true);

    let described = { stdout: '', stderr: '' };
    const shown: PartitionInfo[] = await waitFor(async () => {
      described = await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--topic', topic]);
      const parts = parseDescribe(described.stdout);
      return parts.length === 3 && parts.every((p) => p.leader >= 0 && p.isr.length === 3) ? parts : undefined;
    }, { timeoutMs: 60_000, what: 'kafka-topics --describe through Turnout to show 3 led partitions' });

    expect(described.stdout).toMatch(new RegExp(`Topic: ${topic}\\s+TopicId: \\S+\\s+PartitionCount: 3\\s+ReplicationFactor: 3`));
    expectJavaSawOnlyTurnout(described, CLUSTER_ID, 'kafka-topics --describe');
    for (const p of shown) {
      for (const id of [p.leader, ...p.replicas, ...p.isr]) expect(virtualIds.has(id), `node id ${id} of partition ${p.partition}`).toBe(true);
    }
    // Turnout presents the cluster's own layout, renamed: one virtual id per real broker, the
    // same one in every replica list. (Leaders may move between the two describes; replica
    // lists do not.)
    const realFor = new Map<number, number>();
    const virtualFor = new Map<number, number>();
    shown.forEach((p, i) => {
      const r = real[i];
      expect(p.partition).toBe(r.partition);
      expect(p.replicas).toHaveLength(r.replicas.length);
      p.replicas.forEach((v, j) => {
        const b = r.replicas[j];
        expect(realFor.get(v) ?? b, `virtual node ${v} stands for one broker`).toBe(b);
        expect(virtualFor.get(b) ?? v, `broker ${b} has one virtual id`).toBe(v);
        realFor.set(v, b);
        virtualFor.set(b, v);
      });
      expect(p.replicas).toContain(p.leader);
      expect(new Set(p.isr)).toEqual(new Set(p.replicas));
    });
    expect(realFor.size).toBe(3);
  });

  it('console producer writes keyed records that a console consumer in a group reads intact and in order per partition', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 4, replicationFactor: 3 });
    const keys = Array.from({ length: 12 }, (_, k) => `key-${k}`);
    // Spaces, punctuation and multi-byte characters, so a corrupted byte would show.
    const produced = Array.from({ length: 400 }, (_, i) => ({ key: keys[(i * 7) % keys.length], value: `rec ${i} ünïcødé ✓ ${'x'.repeat(i % 50)} #${i}` }));
    const producer = await javaTool(
      'kafka-console-producer',
      [
        '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic,
        '--property', 'parse.key=true', '--property', 'key.separator=\t',
        '--producer-property', 'acks=all', '--producer-property', 'linger.ms=5', '--producer-property', 'batch.size=4096',
      ],
      { input: produced.map((r) => `${r.key}\t${r.value}\n`).join(''), timeoutMs: 120_000 },
    );
    expectJavaSawOnlyTurnout(producer, CLUSTER_ID, 'the console producer');

    // Ground truth: the cluster holds exactly what was produced, each key's records in order.
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    expect(stored).toHaveLength(produced.length);
    expect(valuesByKey(stored)).toEqual(valuesByKey(produced));
    expect(byPartition(stored).size).toBeGreaterThan(1);

    const group = uniqueGroup('java-console');
    const args = [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--group', group, '--from-beginning',
      '--max-messages', String(produced.length), '--timeout-ms', '60000',
      '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'print.key=true',
    ];
    const result = await javaTool('kafka-console-consumer', args, { timeoutMs: 180_000 });
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'the console consumer');
    const consumed = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('Partition:'))
      .map((line) => {
        const m = /^Partition:(\d+)\tOffset:(\d+)\t([^\t]*)\t(.*)$/.exec(line);
        if (m === null) throw new Error(`unexpected console consumer line: ${line}`);
        return { partition: Number(m[1]), offset: Number(m[2]), key: m[3], value: m[4] };
      });
    expect(consumed).toHaveLength(produced.length);
    // Per partition, the very records the cluster holds, in offset order.
    const strip = (rs: Array<{ partition: number; offset: number; key: string | null; value: string | null }>) =>
      rs.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value }));
    const gotByPartition = byPartition(consumed);
    const storedByPartition = byPartition(stored);
    expect([...gotByPartition.keys()]).toEqual([...storedByPartition.keys()]);
    for (const [partition, records] of storedByPartition) expect(strip(gotByPartition.get(partition) ?? []), `partition ${partition}`).toEqual(strip(records));
    expect(valuesByKey(consumed)).toEqual(valuesByKey(produced));
  });

  it('kafka-producer-perf-test completes through Turnout with every record acknowledged exactly once', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
    const records = 10_000;
    const args = [
      '--topic', topic, '--num-records', String(records), '--payload-monotonic', '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${proxy.bootstrapServers()}`, 'acks=all', 'linger.ms=10', 'batch.size=32768',
    ];
    const result = await javaTool('kafka-producer-perf-test', args, { timeoutMs: 240_000 });
    // The summary line: "20000 records sent, ... records/sec (... MB/sec), ... ms avg latency, ..."
    expect(result.stdout).toMatch(new RegExp(`^${records} records sent, [\\d.]+ records/sec`, 'm'));
    expect(result.stderr).not.toMatch(/Error when sending message|\] ERROR /);
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'the perf test');

    // Every payload 0..N-1 is on the cluster exactly once, and each partition's are increasing.
    const stored = await readTopic(mainCluster().bootstrapServers, topic, 120_000);
    const values = stored.map((r) => Number(r.value));
    expect(values).toHaveLength(records);
    expect(new Set(values).size).toBe(records);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(records - 1);
    for (const [partition, rs] of byPartition(stored)) {
      const seq = rs.map((r) => Number(r.value));
      expect(seq.every((v, i) => i === 0 || v > seq[i - 1]), `payloads of partition ${partition} increase`).toBe(true);
    }
  });
});

/** Partitions as kafka-topics --describe prints them (the rig's parser, on text already in hand). */
function parseDescribe(out: string): PartitionInfo[] {
  const ids = (s: string | undefined) => (s ?? '').split(',').filter((x) => x.trim() !== '').map(Number);
  const parts: PartitionInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /Partition:\s*(\d+)\s+Leader:\s*(-?\d+|none)\s+Replicas:\s*([\d,]*)\s+Isr:\s*([\d,]*)/.exec(line);
    if (m !== null) parts.push({ partition: Number(m[1]), leader: m[2] === 'none' ? -1 : Number(m[2]), replicas: ids(m[3]), isr: ids(m[4]) });
  }
  return parts.sort((a, b) => a.partition - b.partition);
}
