import type { Admin, PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TopicNotReadyError, topicReady } from '../../../src/demo/kafkajs-traffic.js';

const partition = (partitionId: number, leader: number): PartitionMetadata => ({ partitionId, leader, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] });

/** An admin whose Metadata answers come from `answers` in turn (an Error is thrown), the last one again and again. */
function admin(answers: Array<PartitionMetadata[] | Error>): { admin: Admin; asked: () => number } {
  let n = 0;
  const fetchTopicMetadata = async ({ topics }: { topics: string[] }) => {
    const a = answers[Math.min(n++, answers.length - 1)] as PartitionMetadata[] | Error;
    if (a instanceof Error) throw a;
    return { topics: [{ name: topics[0] as string, partitions: a }] };
  };
  return { admin: { fetchTopicMetadata } as unknown as Admin, asked: () => n };
}

describe('topicReady', () => {
  it('asks again until every partition of a new topic shows a leader', async () => {
    const a = admin([new Error('This server does not host this topic-partition'), [partition(0, 1)], [partition(0, 1), partition(1, -1)], [partition(0, 1), partition(1, 2)]]);
    expect(await topicReady(a.admin, 'orders.events', 2, undefined)).toEqual([partition(0, 1), partition(1, 2)]);
    expect(a.asked()).toBe(4);
  });

  it('gives up after its deadline, saying what it saw last', async () => {
    const a = admin([[partition(0, 1)]]);
    const err = await topicReady(a.admin, 'orders.events', 3, undefined, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopicNotReadyError);
    expect((err as Error).message).toBe('topic orders.events did not show 3 partitions with leaders within 300 ms: 1 partitions, 1 with a leader');
  });
});
