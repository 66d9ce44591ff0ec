// A group's committed offsets and the topic's end offsets, read through Turnout once the group
// has stopped: what the group committed must be where it stopped reading (virtual offsets, the
// same before and after a cutover).
import kafkajs from 'kafkajs';
import type { CommittedOffsets } from './group-reads.js';

export async function readCommittedOffsets(bootstrap: string, group: string, topic: string): Promise<CommittedOffsets> {
  const admin = new kafkajs.Kafka({ clientId: 'traffic-offsets', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [committed, end] = await Promise.all([admin.fetchOffsets({ groupId: group, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
    return {
      committed: new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)])),
      end: new Map(end.map((p) => [p.partition, Number(p.high)])),
    };
  } finally {
    await admin.disconnect();
  }
}
