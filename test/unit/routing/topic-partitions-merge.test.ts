import { describe, expect, it } from 'vitest';
import { createDescribeTopicPartitionsResponsePartition, createDescribeTopicPartitionsResponseTopic, type DescribeTopicPartitionsResponseTopic } from '../../../src/codec/generated/describe-topic-partitions.js';
import { mergeTopicPartitionPages } from '../../../src/routing/multi/topic-partitions-merge.js';

function topic(name: string, partitions: number[], errorCode = 0): DescribeTopicPartitionsResponseTopic {
  return {
    ...createDescribeTopicPartitionsResponseTopic(),
    name,
    errorCode,
    partitions: partitions.map((partitionIndex) => ({ ...createDescribeTopicPartitionsResponsePartition(), partitionIndex })),
  };
}

function shape(topics: DescribeTopicPartitionsResponseTopic[]): string[] {
  return topics.map((t) => `${t.name}:${t.partitions.map((p) => p.partitionIndex).join(',')}${t.errorCode !== 0 ? `!${t.errorCode}` : ''}`);
}

describe('mergeTopicPartitionPages', () => {
  it('interleaves the topics of several backends in name order when everything fits', () => {
    const merged = mergeTopicPartitionPages(
      [
        { topics: [topic('b', [0, 1]), topic('d', [0])], nextCursor: null },
        { topics: [topic('a', [1, 0]), topic('c', [0])], nextCursor: null },
        { topics: [topic('bb', [], 29)], nextCursor: null },
      ],
      100,
    );
    expect(shape(merged.topics)).toEqual(['a:0,1', 'b:0,1', 'bb:!29', 'c:0', 'd:0']);
    expect(merged.nextCursor).toBeNull();
  });

  it('cuts at the partition limit, inside a topic, and points the cursor at the first partition left out', () => {
    const merged = mergeTopicPartitionPages(
      [
        { topics: [topic('a', [0, 1])], nextCursor: null },
        { topics: [topic('b', [0, 1, 2])], nextCursor: null },
      ],
      3,
    );
    expect(shape(merged.topics)).toEqual(['a:0,1', 'b:0']);
    expect(merged.nextCursor).toEqual({ topicName: 'b', partitionIndex: 1 });
  });

  it('never goes past where a backend stopped: what lies beyond its cursor may hold its own topics', () => {
    const merged = mergeTopicPartitionPages(
      [
        // This backend stopped at c/1 (its limit); the other backend's d and e come after that.
        { topics: [topic('a', [0]), topic('c', [0])], nextCursor: { topicName: 'c', partitionIndex: 1 } },
        { topics: [topic('b', [0]), topic('d', [0]), topic('e', [0])], nextCursor: null },
      ],
      10,
    );
    expect(shape(merged.topics)).toEqual(['a:0', 'b:0', 'c:0']);
    expect(merged.nextCursor).toEqual({ topicName: 'c', partitionIndex: 1 });
  });

  it('takes the earliest of several backends cursors', () => {
    const merged = mergeTopicPartitionPages(
      [
        { topics: [topic('a', [0]), topic('x', [0])], nextCursor: { topicName: 'x', partitionIndex: 1 } },
        { topics: [topic('b', [0])], nextCursor: { topicName: 'c', partitionIndex: 0 } },
      ],
      10,
    );
    expect(shape(merged.topics)).toEqual(['a:0', 'b:0']);
    expect(merged.nextCursor).toEqual({ topicName: 'c', partitionIndex: 0 });
  });

  it('walks a whole listing page by page, each partition exactly once', () => {
    const all = [topic('a', [0, 1, 2]), topic('b', [0]), topic('c', [0, 1])];
    const seen: string[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    for (let page = 0; page < 10; page++) {
      const from = cursor;
      const visible = all
        .map((t) => ({ ...t, partitions: t.partitions.filter((p) => from === null || (t.name as string) > from.topicName || (t.name === from.topicName && p.partitionIndex >= from.partitionIndex)) }))
        .filter((t) => t.partitions.length > 0);
      const merged = mergeTopicPartitionPages([{ topics: visible, nextCursor: null }], 2);
      for (const t of merged.topics) for (const p of t.partitions) seen.push(`${t.name}/${p.partitionIndex}`);
      cursor = merged.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(['a/0', 'a/1', 'a/2', 'b/0', 'c/0', 'c/1']);
  });
});
