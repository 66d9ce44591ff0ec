// DescribeTopicPartitions answers of several backends merged into one page. Each backend
// answers a prefix of its own topics in name order (from the client's cursor, at most the
// client's partition limit); merged, the page is the union in name and partition order, cut
// at the limit and at the first position a backend did not reach (its next cursor), and the
// next cursor names where the cut fell. The client's next page starts there on every backend.
import type {
  DescribeTopicPartitionsResponseCursor,
  DescribeTopicPartitionsResponseTopic,
} from '../../codec/generated/describe-topic-partitions.js';

export interface TopicPartitionsPage {
  /** Topics already in the client's terms (virtual ids, nodes and epochs), each from one backend, or an error entry. */
  topics: DescribeTopicPartitionsResponseTopic[];
  /** Where the backend stopped, or null when it answered everything from the cursor on. */
  nextCursor: DescribeTopicPartitionsResponseCursor | null;
}

export interface MergedTopicPartitions {
  topics: DescribeTopicPartitionsResponseTopic[];
  nextCursor: DescribeTopicPartitionsResponseCursor | null;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when (topic, partition) lies at or after `cursor`. */
function reaches(topic: string, partition: number, cursor: DescribeTopicPartitionsResponseCursor | null): boolean {
  if (cursor === null) return false;
  const c = compareNames(topic, cursor.topicName);
  return c > 0 || (c === 0 && partition >= cursor.partitionIndex);
}

export function mergeTopicPartitionPages(pages: readonly TopicPartitionsPage[], partitionLimit: number): MergedTopicPartitions {
  let boundary: DescribeTopicPartitionsResponseCursor | null = null;
  for (const p of pages) {
    if (p.nextCursor !== null && (boundary === null || !reaches(p.nextCursor.topicName, p.nextCursor.partitionIndex, boundary))) boundary = p.nextCursor;
  }
  const all = pages.flatMap((p) => p.topics).sort((a, b) => compareNames(a.name ?? '', b.name ?? ''));
  const limit = Math.max(1, partitionLimit);
  const topics: DescribeTopicPartitionsResponseTopic[] = [];
  let count = 0;
  for (const t of all) {
    const name = t.name ?? '';
    const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const first = partitions[0]?.partitionIndex ?? 0;
    // Past where a backend stopped nothing is known: the next page starts there.
    if (reaches(name, first, boundary)) return { topics, nextCursor: boundary };
    if (partitions.length > 0 && count >= limit) return { topics, nextCursor: { topicName: name, partitionIndex: first } };
    const kept = [];
    for (const p of partitions) {
      const stop = reaches(name, p.partitionIndex, boundary) ? boundary : count >= limit ? { topicName: name, partitionIndex: p.partitionIndex } : null;
      if (stop !== null) {
        topics.push({ ...t, partitions: kept });
        return { topics, nextCursor: stop };
      }
      kept.push(p);
      count++;
    }
    topics.push({ ...t, partitions: kept });
  }
  return { topics, nextCursor: boundary };
}
