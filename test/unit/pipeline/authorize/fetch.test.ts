import { describe, expect, it } from 'vitest';
import { ApiKey, createFetchRequest, ZERO_UUID, type FetchRequest } from '../../../../src/codec/index.js';
import { createPartitionData } from '../../../../src/codec/generated/fetch.js';
import { decide, harness, type Res } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

function fetch(version: number, layout: Array<[string, number[]]>, session: { id: number; epoch: number } = { id: 0, epoch: 0 }): FetchRequest {
  const req = createFetchRequest();
  req.replicaId = -1;
  req.maxWaitMs = 500;
  req.minBytes = 1;
  req.maxBytes = 1 << 20;
  req.sessionId = session.id;
  req.sessionEpoch = session.epoch;
  req.topics = layout.map(([topic, ps]) => ({
    topic,
    topicId: ZERO_UUID,
    partitions: ps.map((partition) => ({ partition, currentLeaderEpoch: 3, fetchOffset: 10n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 })),
  }));
  if (version >= 7) req.forgottenTopicsData = [{ topic: 'old', topicId: ZERO_UUID, partitions: [0] }];
  return req;
}

function fetched(layout: Array<[string, number[]]>): Res<typeof ApiKey.Fetch> {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: layout.map(([topic, ps]) => ({
      topic,
      topicId: ZERO_UUID,
      partitions: ps.map((partitionIndex) => ({ ...createPartitionData(), partitionIndex, highWatermark: 50n, records: Buffer.from([1, 2, 3]) })),
    })),
  };
}

const summary = (res: Res<typeof ApiKey.Fetch>) =>
  res.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.highWatermark, p.records?.length ?? null])]);

describe('Fetch authorization', () => {
  it('forwards a fetch of readable topics without a fetch session', () => {
    const h = harness([allow('READ', 'TOPIC', 'orders')]);
    const req = fetch(12, [['orders', [0, 1]]]);
    const d = decide(h, ApiKey.Fetch, 12, req);
    expect(d.kind).toBe('forward');
    const fwd = d.forwarded(req);
    expect([fwd.sessionId, fwd.sessionEpoch, fwd.forgottenTopicsData]).toEqual([0, -1, []]);
    expect(fwd.topics).toEqual(req.topics);
    // The answer streams through untouched.
    expect(d.outcome.kind === 'forward' && d.outcome.onResponse).toBeUndefined();
  });

  it('forwards an already sessionless fetch, and any fetch before sessions existed, unchanged', () => {
    const h = harness([allow('READ', 'TOPIC', 'orders')]);
    expect(decide(h, ApiKey.Fetch, 12, fetch(12, [['orders', [0]]], { id: 0, epoch: -1 })).outcome).toEqual({ kind: 'forward' });
    expect(decide(h, ApiKey.Fetch, 4, fetch(4, [['orders', [0]]])).outcome).toEqual({ kind: 'forward' });
  });

  it('fetches the readable partitions and answers the others TOPIC_AUTHORIZATION_FAILED, in the client order', () => {
    const h = harness([allow('READ', 'TOPIC', 'orders'), allow('READ', 'TOPIC', 'users')]);
    for (const v of [4, 11, 12]) {
      const req = fetch(v, [['orders', [0]], ['payments', [0, 1]], ['users', [2]]]);
      const d = decide(h, ApiKey.Fetch, v, req);
      expect(d.kind).toBe('deny');
      const fwd = d.forwarded(req);
      expect(fwd.topics.map((t) => t.topic)).toEqual(['orders', 'users']);
      if (v >= 7) expect([fwd.sessionId, fwd.sessionEpoch]).toEqual([0, -1]);
      expect(summary(d.answered(fetched([['users', [2]], ['orders', [0]]])))).toEqual([
        ['orders', [[0, 0, 50n, 3]]],
        ['payments', [[0, 29, -1n, 0], [1, 29, -1n, 0]]],
        ['users', [[2, 0, 50n, 3]]],
      ]);
    }
  });

  it('answers a fetch of no readable topic itself', () => {
    const h = harness([]);
    const d = decide(h, ApiKey.Fetch, 12, fetch(12, [['payments', [0]]]));
    expect(summary(d.answer())).toEqual([['payments', [[0, 29, -1n, 0]]]]);
    expect(d.answer().errorCode).toBe(0);
  });

  it('refuses a replica fetch: every partition TOPIC_AUTHORIZATION_FAILED, whatever the ACLs', () => {
    const h = harness([allow('ALL', 'TOPIC', '*'), allow('ALL', 'CLUSTER', 'kafka-cluster')]);
    const req = fetch(12, [['orders', [0, 1]]]);
    req.replicaId = 2;
    expect(summary(decide(h, ApiKey.Fetch, 12, req).answer())).toEqual([['orders', [[0, 29, -1n, 0], [1, 29, -1n, 0]]]]);
    const v15 = fetch(15, []);
    v15.replicaState = { replicaId: 3, replicaEpoch: 1n };
    v15.topics = [{ topic: '', topicId: 'b3JkZXJzAAAAAAAAAAAAAA', partitions: [] }];
    expect(decide(h, ApiKey.Fetch, 15, v15).kind).toBe('answer');
  });

  it('answers an incremental fetch of a session Turnout never let open with FETCH_SESSION_ID_NOT_FOUND', () => {
    const h = harness([allow('READ', 'TOPIC', '*')]);
    const d = decide(h, ApiKey.Fetch, 12, fetch(12, [], { id: 77, epoch: 3 }));
    expect(d.answer()).toMatchObject({ errorCode: 70, sessionId: 0, responses: [] });
  });

  it('answers a v13 topic id no Metadata answer named with UNKNOWN_TOPIC_ID', () => {
    const h = harness([allow('READ', 'TOPIC', '*')]);
    const req = fetch(13, [['', [0]]]);
    req.topics[0].topicId = 'b3JkZXJzAAAAAAAAAAAAAA';
    const res = decide(h, ApiKey.Fetch, 13, req).answer();
    expect(res.responses[0].topicId).toBe('b3JkZXJzAAAAAAAAAAAAAA');
    expect(res.responses[0].partitions[0].errorCode).toBe(100);
  });
});
