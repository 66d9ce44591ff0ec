// Many topics made in one admin request, straight to a cluster (kafkajs), for tests that need
// a topic per case: one kafka-topics run per topic would cost a JVM start each. They are
// deleted when the calling test finishes.
import kafkajs from 'kafkajs';
import { expect, onTestFinished } from 'vitest';
import { waitFor, type ClusterInfo } from './rig.js';

const { Kafka, logLevel } = kafkajs;

export interface TopicSpec {
  name: string;
  /** Default 3. */
  partitions?: number;
  /** Default: min(3, brokers). */
  replicationFactor?: number;
  config?: Record<string, string>;
}

function adminOf(cluster: ClusterInfo): kafkajs.Admin {
  return new Kafka({ clientId: 'it-topics-at-once', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin();
}

/** Deletes topics from a cluster (missing ones are ignored). */
export async function deleteTopicsAtOnce(cluster: ClusterInfo, names: readonly string[]): Promise<void> {
  const admin = adminOf(cluster);
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 120_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics and waits until each partition's leader serves it; returns their names. */
export async function createTopicsAtOnce(cluster: ClusterInfo, specs: readonly TopicSpec[]): Promise<string[]> {
  const names = specs.map((s) => s.name);
  if (expect.getState().currentTestName !== undefined) onTestFinished(() => deleteTopicsAtOnce(cluster, names));
  const admin = adminOf(cluster);
  await admin.connect();
  try {
    const rf = Math.min(3, cluster.brokers.length);
    await admin.createTopics({
      // kafkajs's own wait gives up on a topic the broker it asks does not know yet.
      waitForLeaders: false,
      timeout: 120_000,
      topics: specs.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions ?? 3,
        replicationFactor: s.replicationFactor ?? rf,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    // Leaders named, then every leader answering for its partitions (ListOffsets): a broker
    // creates the logs of a large topic some time after the controller names the leaders.
    await waitFor(
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: names });
        if (!md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return false;
        for (const name of names) await admin.fetchTopicOffsets(name);
        return true;
      },
      { timeoutMs: 120_000, what: `leaders for ${names.join(', ')}` },
    );
  } finally {
    await admin.disconnect();
  }
  return names;
}
