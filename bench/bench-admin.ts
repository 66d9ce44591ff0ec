// The little cluster administration the bench needs, through kafkajs's admin client.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface BenchTopic {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

async function withAdmin<T>(bootstrap: string, fn: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'turnout-bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export function brokerCount(bootstrap: string): Promise<number> {
  return withAdmin(bootstrap, async (admin) => (await admin.describeCluster()).brokers.length);
}

export function brokerIds(bootstrap: string): Promise<number[]> {
  return withAdmin(bootstrap, async (admin) => (await admin.describeCluster()).brokers.map((b) => b.nodeId));
}

export function createTopics(bootstrap: string, topics: BenchTopic[]): Promise<void> {
  return withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({ topics, waitForLeaders: true, timeout: 60_000 });
  });
}

/** Creates topics and returns once the controller has them, before their leaders are known. */
export function createTopicsNoWait(bootstrap: string, topics: BenchTopic[]): Promise<void> {
  return withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({ topics, waitForLeaders: false, timeout: 120_000 });
  });
}

export function deleteTopics(bootstrap: string, topics: string[]): Promise<void> {
  return withAdmin(bootstrap, (admin) => admin.deleteTopics({ topics, timeout: 60_000 }));
}
