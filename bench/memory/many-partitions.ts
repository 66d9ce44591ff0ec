// Ten thousand partitions through one Turnout: Metadata naming every one of them, a record
// produced to each (round robin) and everything read back, with Kafka's own perf tools.
import { runKafkaTool } from '../../src/devkit/index.js';
import { createTopicsNoWait } from '../bench-admin.js';
import { consumePerf } from '../perf-tools.js';
import { leadersOf, WireClient } from '../../test/integration/wire-client.js';

export interface ManyPartitionsPlan {
  directBootstrap: string;
  turnoutHost: string;
  turnoutBootstrapPort: number;
  topics: readonly string[];
  partitionsPerTopic: number;
  /** Records per partition. */
  recordsPerPartition: number;
  log: (line: string) => void;
}

export interface ManyPartitionsResult {
  partitions: number;
  metadataFrameBytes: number;
  recordsProduced: number;
  recordsConsumed: number;
}

/**
 * The topics, made directly on the cluster a few at a time, each batch waited for at the
 * broker itself (one busy broker takes a while before Metadata names thousands of leaders).
 */
export async function makeTopics(plan: ManyPartitionsPlan): Promise<void> {
  const [host, port] = (plan.directBootstrap.split(',')[0] as string).split(':');
  for (let i = 0; i < plan.topics.length; i += 2) {
    const batch = plan.topics.slice(i, i + 2);
    await createTopicsNoWait(plan.directBootstrap, batch.map((topic) => ({ topic, numPartitions: plan.partitionsPerTopic, replicationFactor: 1 })));
    const deadline = Date.now() + 300_000;
    for (;;) {
      const broker = new WireClient(host as string, Number(port));
      const led = await leadersOf(broker, batch).then(
        (view) => [...view.leaders.values()].filter((leader) => leader >= 0).length,
        () => 0,
      );
      broker.close();
      if (led === batch.length * plan.partitionsPerTopic) break;
      if (Date.now() > deadline) throw new Error(`${batch.join(', ')}: ${led} of ${batch.length * plan.partitionsPerTopic} partitions have a leader after 300 s`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    plan.log(`made ${Math.min(i + 2, plan.topics.length)} of ${plan.topics.length} topics of ${plan.partitionsPerTopic} partitions`);
  }
}

export async function runManyPartitions(plan: ManyPartitionsPlan): Promise<ManyPartitionsResult> {
  const client = new WireClient(plan.turnoutHost, plan.turnoutBootstrapPort, { clientId: 'bench-memory-metadata' });
  const view = await leadersOf(client, plan.topics).finally(() => client.close());
  const expected = plan.topics.length * plan.partitionsPerTopic;
  if (view.leaders.size !== expected) throw new Error(`Metadata through Turnout named ${view.leaders.size} partitions, not ${expected}`);
  plan.log(`Metadata through Turnout named all ${expected} partitions (${view.frameBytes} bytes)`);

  const bootstrap = `${plan.turnoutHost}:${plan.turnoutBootstrapPort}`;
  const perTopic = plan.partitionsPerTopic * plan.recordsPerPartition;
  let consumed = 0;
  for (const topic of plan.topics) {
    // Round robin, one record a batch: every partition gets its records, so every partition
    // passes through Turnout's produce path and, read back, through its fetch path.
    const produced = await runKafkaTool(
      'kafka-producer-perf-test',
      ['--topic', topic, '--num-records', String(perTopic), '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=1', 'linger.ms=0', 'partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner'],
      { timeoutMs: 300_000, jvmOptions: ['-Xmx512m'] },
    );
    if (produced.code !== 0) throw new Error(`kafka-producer-perf-test to ${topic} through Turnout exited ${produced.code}: ${produced.stderr.slice(-2_000)}`);
    const read = await consumePerf({ topic, records: perTopic, group: `bench-memory-${topic}`, bootstrap, log: () => undefined });
    if (read.records < perTopic) throw new Error(`kafka-consumer-perf-test read ${read.records} of ${perTopic} records of ${topic} through Turnout`);
    consumed += read.records;
    plan.log(`${topic}: ${perTopic} records produced and read back through Turnout`);
  }
  return { partitions: expected, metadataFrameBytes: view.frameBytes, recordsProduced: perTopic * plan.topics.length, recordsConsumed: consumed };
}
