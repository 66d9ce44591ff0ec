// The workload topic of one run, made and dropped with Kafka's own kafka-topics from inside
// the first zone (admin traffic happens outside the counted window).
import { runKafkaTool, type ClusterInfo, type KafkaToolResult, type ZoneLayout } from '../../src/devkit/index.js';

export class ZoneTopicError extends Error {
  constructor(action: string, topic: string, result: KafkaToolResult) {
    super(`kafka-topics ${action} ${topic} ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${result.stderr.trim().slice(-1_500)}`);
    this.name = 'ZoneTopicError';
  }
}

async function topics(layout: ZoneLayout, cluster: ClusterInfo, action: string, topic: string, args: readonly string[]): Promise<string> {
  const netns = layout.zones[0]?.netns;
  const result = await runKafkaTool('kafka-topics', ['--bootstrap-server', cluster.bootstrapServers, ...args], { timeoutMs: 90_000, ...(netns !== undefined ? { netns } : {}) });
  if (result.code !== 0) throw new ZoneTopicError(action, topic, result);
  return result.stdout;
}

/**
 * Replicas of each partition (preferred leader first), leaders in pairs: partitions 0 and 1 on
 * the first broker, 2 and 3 on the second, and so on round the brokers. Kafka's own placement
 * leads partition p on broker p mod n, and the consumers' round-robin assignment hands member
 * k the partitions p = k mod n: each member would read partitions of one leader only, so
 * which zone's consumer gets which member decides whether anything crosses zones (all, or
 * nothing, one run in six). With leaders in pairs every member reads partitions of two
 * leaders, so some are in another zone whatever the assignment, and on average two thirds
 * are, as with a random placement.
 */
export function pairedLeaderAssignment(brokerIds: readonly number[], partitions: number, replicationFactor: number): number[][] {
  if (replicationFactor > brokerIds.length) throw new Error(`replication factor ${replicationFactor} needs ${replicationFactor} brokers, the cluster has ${brokerIds.length}`);
  return Array.from({ length: partitions }, (_, p) => {
    const first = Math.floor(p / 2) % brokerIds.length;
    return Array.from({ length: replicationFactor }, (_, r) => brokerIds[(first + r) % brokerIds.length] as number);
  });
}

export async function createZoneTopic(layout: ZoneLayout, cluster: ClusterInfo, topic: string, partitions: number, replicationFactor: number): Promise<void> {
  const assignment = pairedLeaderAssignment(
    cluster.brokers.map((b) => b.id),
    partitions,
    replicationFactor,
  );
  await topics(layout, cluster, 'create', topic, ['--create', '--topic', topic, '--replica-assignment', assignment.map((r) => r.join(':')).join(',')]);
}

export async function deleteZoneTopic(layout: ZoneLayout, cluster: ClusterInfo, topic: string): Promise<void> {
  await topics(layout, cluster, 'delete', topic, ['--delete', '--if-exists', '--topic', topic]);
}

/** Leader broker id of every partition, from `kafka-topics --describe` output. */
export function parseLeaders(describeOutput: string): Map<number, number> {
  const leaders = new Map<number, number>();
  for (const line of describeOutput.split('\n')) {
    const m = /Partition:\s*(\d+)\s+Leader:\s*(-?\d+)/.exec(line);
    if (m !== null) leaders.set(Number(m[1]), Number(m[2]));
  }
  return leaders;
}

/** In-sync replicas (broker ids) of every partition, from `kafka-topics --describe` output. */
export function parseIsr(describeOutput: string): Map<number, number[]> {
  const isr = new Map<number, number[]>();
  for (const line of describeOutput.split('\n')) {
    const m = /Partition:\s*(\d+)\s.*\bIsr:\s*([\d,]*)/.exec(line);
    if (m !== null) isr.set(Number(m[1]), (m[2] ?? '').split(',').filter((x) => x !== '').map(Number));
  }
  return isr;
}

export async function describeZoneTopic(layout: ZoneLayout, cluster: ClusterInfo, topic: string): Promise<string> {
  return topics(layout, cluster, 'describe', topic, ['--describe', '--topic', topic]);
}

/** The zone (the broker's rack) of every partition's leader. */
export async function leaderZones(layout: ZoneLayout, cluster: ClusterInfo, topic: string): Promise<Map<number, string>> {
  const leaders = parseLeaders(await describeZoneTopic(layout, cluster, topic));
  const out = new Map<number, string>();
  for (const [partition, id] of leaders) {
    const rack = cluster.brokers.find((b) => b.id === id)?.rack;
    if (rack === undefined) throw new Error(`partition ${partition} of ${topic} has leader ${id}, which is no broker of ${cluster.cluster}`);
    out.set(partition, rack);
  }
  return out;
}
