// A consumer group named so that its coordinator is a chosen broker. The follower-stop run
// places its group's coordinator on purpose (FollowerStopSpec.coordinator): on a broker that
// keeps running, so that only the replica and the leaders move and every record must be read
// exactly once; or on the broker it stops, so that the coordinator moves while records flow
// (members rejoin and resume from their last commit). A random name would do either, by chance.
import { setTimeout as sleep } from 'node:timers/promises';
import { runKafkaTool, type ClusterInfo, type ZoneLayout } from '../../src/devkit/index.js';
import { describeZoneTopic, parseLeaders } from './zone-topic.js';

const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode (UTF-16 code units, 32-bit overflow). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The __consumer_offsets partition Kafka keeps a group in: Utils.abs(hashCode) % partitions. */
export function groupPartition(groupId: string, offsetsPartitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % offsetsPartitions;
}

/** The first of `base-0`, `base-1`, ... whose partition `leaders` (partition → broker) puts on `brokerId`. */
export function groupLedBy(base: string, leaders: ReadonlyMap<number, number>, brokerId: number): string | undefined {
  for (let n = 0; n < 1_000; n++) {
    const group = `${base}-${n}`;
    if (leaders.get(groupPartition(group, leaders.size)) === brokerId) return group;
  }
  return undefined;
}

async function offsetsLeaders(layout: ZoneLayout, cluster: ClusterInfo): Promise<Map<number, number>> {
  try {
    return parseLeaders(await describeZoneTopic(layout, cluster, OFFSETS_TOPIC));
  } catch {
    return new Map();
  }
}

/** A group name whose coordinator is `brokerId`; creates __consumer_offsets if no group was ever used. */
export async function groupCoordinatedBy(layout: ZoneLayout, cluster: ClusterInfo, brokerId: number, base: string): Promise<string> {
  let leaders = await offsetsLeaders(layout, cluster);
  if (leaders.size === 0) {
    // Looking a group up makes the broker create its offsets topic; the lookup itself may fail.
    const netns = layout.zones[0]?.netns;
    await runKafkaTool('kafka-consumer-groups', ['--bootstrap-server', cluster.bootstrapServers, '--describe', '--group', base], { timeoutMs: 60_000, ...(netns !== undefined ? { netns } : {}) });
    const deadline = Date.now() + 60_000;
    while ((leaders = await offsetsLeaders(layout, cluster)).size === 0 || [...leaders.values()].some((id) => id < 0)) {
      if (Date.now() > deadline) throw new Error(`${OFFSETS_TOPIC} of ${cluster.cluster} has no leader for every partition after 60 s`);
      await sleep(1_000);
    }
  }
  const group = groupLedBy(base, leaders, brokerId);
  if (group === undefined) throw new Error(`no group name ${base}-N is coordinated by broker ${brokerId} (offsets partition leaders: ${JSON.stringify([...leaders])})`);
  return group;
}
