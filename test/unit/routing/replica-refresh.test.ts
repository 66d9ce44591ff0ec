import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetadataResponse, type MetadataResponse } from '../../../src/codec/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { PartitionLeaders } from '../../../src/routing/multi/partition-leaders.js';
import { ReplicaRefresh } from '../../../src/routing/multi/replica-refresh.js';

function answer(topics: string[], isr: number[]): MetadataResponse {
  const m = createMetadataResponse();
  m.topics = topics.map((name) => ({
    errorCode: 0,
    name,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    isInternal: false,
    partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 1, replicaNodes: [1, 2, 3], isrNodes: isr, offlineReplicas: [] }],
    topicAuthorizedOperations: -2147483648,
  }));
  return m;
}

describe('ReplicaRefresh', () => {
  // The gap between requests is the subject here: the test moves the clock itself, so a slow
  // machine changes nothing.
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('merges the topics asked for close together into one request per backend and records their in-sync replicas', async () => {
    const leaders = new PartitionLeaders();
    const asked: string[][] = [];
    const refresh = new ReplicaRefresh({
      leaders,
      ask: (_backend, topics) => {
        asked.push([...topics].sort());
        return Promise.resolve(answer(topics, [1, 3]));
      },
      log: createLogger({ level: 'silent' }),
      minGapMs: 50,
    });
    refresh.request('m', 'a');
    refresh.request('m', 'b');
    refresh.request('m', 'a');
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual([['a', 'b']]);
    expect(leaders.replicasOf('m', 'a', 0)).toMatchObject({ leaderId: 1, isr: [1, 3] });
    expect(leaders.replicasOf('m', 'b', 0).learnedAtMs).toBe(1_000_000);
    // The next request waits out the gap.
    await vi.advanceTimersByTimeAsync(10);
    refresh.request('m', 'a');
    await vi.advanceTimersByTimeAsync(39);
    expect(asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([['a', 'b'], ['a']]);
  });

  it('keeps what it knew when the backend does not answer', async () => {
    const leaders = new PartitionLeaders();
    leaders.record('m', 'a', 0, 2, [2], 1);
    const refresh = new ReplicaRefresh({ leaders, ask: () => Promise.reject(new Error('down')), log: createLogger({ level: 'silent' }), minGapMs: 1 });
    refresh.request('m', 'a');
    await vi.advanceTimersByTimeAsync(20);
    expect(leaders.replicasOf('m', 'a', 0)).toEqual({ leaderId: 2, leaderEpoch: -1, isr: [2], replicas: [], learnedAtMs: 1 });
  });
});
