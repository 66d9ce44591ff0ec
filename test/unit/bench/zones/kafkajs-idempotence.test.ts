// Why the zone workload produces with the Java client: kafkajs 2.2.4's idempotent producer
// writes a record twice when one send() spans two brokers and one broker's part fails while
// the other's is still in flight. Its retry sends every broker part that has no answer yet
// again, including the one still in flight; that copy waits for the broker lock, takes the
// sequence numbers the first copy already advanced, and so reaches the broker as new records
// (no producer-sequence check can catch it). Through Turnout every send to one of its nodes
// spans the partitions of several real leaders, so a stopped broker makes this common.
// Driven here through kafkajs's own send path with scripted brokers.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface ProduceEntry {
  partition: number;
  firstSequence: number;
  messages: Array<{ value: string }>;
}
interface ProduceCall {
  nodeId: number;
  topicData: Array<{ topic: string; partitions: ProduceEntry[] }>;
}
interface FakeBroker {
  nodeId: number;
  produce(req: ProduceCall & { producerId: number }): Promise<unknown>;
  initProducerId(): Promise<{ producerId: number; producerEpoch: number }>;
}
type SendMessages = (req: { acks: number; timeout: number; topicMessages: Array<{ topic: string; messages: Array<{ value: string; partition: number }> }> }) => Promise<unknown>;
interface EosManager {
  initProducerId(): Promise<void>;
  getSequence(topic: string, partition: number): number;
}

// kafkajs's internal modules: the send path a producer's send() runs, without sockets.
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (opts: object) => SendMessages;
const createEosManager = require('kafkajs/src/producer/eosManager') as (opts: object) => EosManager;
const createRetry = require('kafkajs/src/retry') as (opts: object) => unknown;
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: new (message: string) => Error };
const kafkajsVersion = (require('kafkajs/package.json') as { version: string }).version;

const TOPIC = 'orders';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Partition 0 led by node 1, partition 1 by node 2; every produce call recorded as sent. */
function scriptedCluster(script: Record<number, (call: number) => Promise<void>>) {
  const sent: Array<{ nodeId: number; partition: number; firstSequence: number; values: string[] }> = [];
  const calls = new Map<number, number>();
  const broker = (nodeId: number): FakeBroker => ({
    nodeId,
    initProducerId: async () => ({ producerId: 7, producerEpoch: 0 }),
    produce: async (req) => {
      const call = calls.get(nodeId) ?? 0;
      calls.set(nodeId, call + 1);
      for (const t of req.topicData) {
        for (const p of t.partitions) sent.push({ nodeId, partition: p.partition, firstSequence: p.firstSequence, values: p.messages.map((m) => m.value) });
      }
      await (script[nodeId] as (call: number) => Promise<void>)(call);
      return { topics: req.topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const cluster = {
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    removeBroker: () => undefined,
    findControllerBroker: async () => brokers.get(1),
    findTopicPartitionMetadata: () => [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: 2 },
    ],
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions) (byLeader[p === '0' ? '1' : '2'] ??= []).push(Number(p));
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
  };
  return { cluster, sent };
}

describe('kafkajs idempotent producer across brokers', () => {
  it(`kafkajs ${kafkajsVersion} sends a record again under a new sequence number when another broker's part of the same send failed`, async () => {
    // Node 1 fails its first produce at once (its broker stopped); node 2 answers its first
    // one later (acks=all waiting for the ISR), every later call at once.
    const { cluster, sent } = scriptedCluster({
      1: async (call) => {
        if (call === 0) throw new KafkaJSConnectionError('connection closed');
      },
      2: async (call) => {
        if (call === 0) await delay(100);
      },
    });
    const eosManager = createEosManager({ logger: silent, cluster, transactional: false });
    await eosManager.initProducerId();
    const send = createSendMessages({
      logger: silent,
      cluster,
      eosManager,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      retrier: createRetry({ retries: 3, initialRetryTime: 10, maxRetryTime: 20 }),
    });

    await send({ acks: -1, timeout: 30_000, topicMessages: [{ topic: TOPIC, messages: [{ value: 'r0', partition: 0 }, { value: 'r1', partition: 1 }] }] });
    // Let the in-flight copies finish.
    await delay(300);

    const toNode2 = sent.filter((s) => s.nodeId === 2);
    // Record r1 reached partition 1's leader twice, at sequence 0 and then at sequence 1: the
    // broker appends both, since the second follows the first in sequence.
    expect(toNode2.map((s) => ({ firstSequence: s.firstSequence, values: s.values }))).toEqual([
      { firstSequence: 0, values: ['r1'] },
      { firstSequence: 1, values: ['r1'] },
    ]);
    expect(eosManager.getSequence(TOPIC, 1)).toBe(2);
    // The failed part is retried at its own sequence, as it should be.
    expect(sent.filter((s) => s.nodeId === 1).map((s) => s.firstSequence)).toEqual([0, 0]);
  });
});
