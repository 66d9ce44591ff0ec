import { describe, expect, it } from 'vitest';
import { DestinationFailure } from '../../../src/routing/split-route.js';
import { answeredPartitions, scatterGather, scatterPartitions, type TopicPart } from '../../../src/routing/multi/scatter-gather.js';

interface Result {
  key: string;
  errorCode: number;
  from?: string;
}

describe('scatterGather', () => {
  it('sends each destination its items once, concurrently, and answers in the client order with local results in place', async () => {
    const sent: Array<[string, string[]]> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const results = await scatterGather<string, Result>({
      items: ['a1', 'b1', 'x', 'a2', 'b2'],
      keyOf: (k) => k,
      route: (k) => (k === 'x' ? { key: k, errorCode: 29 } : k[0]),
      send: async (destination, items) => {
        sent.push([destination, items]);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        return items.map((k): [string, Result] => [k, { key: k, errorCode: 0, from: destination }]);
      },
      unanswered: (k) => ({ key: k, errorCode: -1 }),
    });
    expect(sent).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1', 'b2']],
    ]);
    expect(maxInFlight).toBe(2);
    expect(results).toEqual([
      { key: 'a1', errorCode: 0, from: 'a' },
      { key: 'b1', errorCode: 0, from: 'b' },
      { key: 'x', errorCode: 29 },
      { key: 'a2', errorCode: 0, from: 'a' },
      { key: 'b2', errorCode: 0, from: 'b' },
    ]);
  });

  it("fills the items of a failed destination with the failure's error and those a destination left out with the caller's", async () => {
    const results = await scatterGather<string, Result>({
      items: ['a1', 'b1', 'b2'],
      keyOf: (k) => k,
      route: (k) => k[0],
      send: async (destination, items) => {
        if (destination === 'a') throw new DestinationFailure('connection lost', 6);
        return [[items[0], { key: items[0], errorCode: 0 }]];
      },
      unanswered: (k, failure) => ({ key: k, errorCode: failure === null ? 5 : failure.errorCode }),
    });
    expect(results.map((r) => r.errorCode)).toEqual([6, 0, 5]);
  });

  it('turns any error a destination throws into NOT_LEADER_OR_FOLLOWER', async () => {
    const results = await scatterGather<string, Result>({
      items: ['a1'],
      keyOf: (k) => k,
      route: () => 'a',
      send: () => Promise.reject(new Error('undecodable answer')),
      unanswered: (k, failure) => ({ key: k, errorCode: failure?.errorCode ?? 0 }),
    });
    expect(results).toEqual([{ key: 'a1', errorCode: 6 }]);
  });
});

describe('scatterPartitions', () => {
  interface Topic {
    name: string;
    partitions: number[];
  }

  it('groups partitions per destination into topic entries in client order and merges the answers back per topic', async () => {
    const parts = new Map<string, Array<TopicPart<Topic, number>>>();
    const results = await scatterPartitions<Topic, number, Result>({
      topics: [
        { name: 't1', partitions: [0, 1, 2] },
        { name: 't2', partitions: [0, 1] },
      ],
      partitionsOf: (t) => t.partitions,
      topicName: (t) => t.name,
      partitionIndex: (p) => p,
      // Even partitions to broker A, odd to broker B; t2/1 is refused here.
      route: (t, p) => (t.name === 't2' && p === 1 ? { key: 'refused', errorCode: 29 } : p % 2 === 0 ? 'main/1' : 'legacy/2'),
      send: async (destination, topics) => {
        parts.set(destination, topics);
        return topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic.name, partition: p, result: { key: `${t.topic.name}/${p}`, errorCode: 0, from: destination } })));
      },
      unanswered: (t, p) => ({ key: `${t.name}/${p}`, errorCode: 6 }),
    });
    expect([...parts.get('main/1')!].map((t) => [t.topic.name, t.partitions])).toEqual([
      ['t1', [0, 2]],
      ['t2', [0]],
    ]);
    expect([...parts.get('legacy/2')!].map((t) => [t.topic.name, t.partitions])).toEqual([['t1', [1]]]);
    expect(results.map((ps) => ps.map((r) => `${r.key}@${r.from ?? r.errorCode}`))).toEqual([
      ['t1/0@main/1', 't1/1@legacy/2', 't1/2@main/1'],
      ['t2/0@main/1', 'refused@29'],
    ]);
  });

  it('gives a failed destination its partitions back as errors and keeps the other destination answers', async () => {
    const results = await scatterPartitions<Topic, number, Result>({
      topics: [{ name: 't', partitions: [0, 1] }],
      partitionsOf: (t) => t.partitions,
      topicName: (t) => t.name,
      partitionIndex: (p) => p,
      route: (_t, p) => `b/${p}`,
      send: async (destination, topics) => {
        if (destination === 'b/1') throw new Error('timed out');
        return [{ topic: 't', partition: topics[0].partitions[0], result: { key: 'ok', errorCode: 0 } }];
      },
      unanswered: (_t, p, failure) => ({ key: `t/${p}`, errorCode: failure?.errorCode ?? -1 }),
    });
    expect(results[0].map((r) => r.errorCode)).toEqual([0, 6]);
  });

  it('answeredPartitions lists every partition of an answer after visiting it', () => {
    const visited: string[] = [];
    const out = answeredPartitions(
      [{ name: 'a', ps: [{ i: 0 }, { i: 3 }] }],
      (t) => t.name,
      (t) => t.ps,
      (p) => p.i,
      (topic, p) => visited.push(`${topic}/${p.i}`),
    );
    expect(visited).toEqual(['a/0', 'a/3']);
    expect(out.map((r) => [r.topic, r.partition])).toEqual([
      ['a', 0],
      ['a', 3],
    ]);
  });
});
