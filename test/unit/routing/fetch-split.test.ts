import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createFetchResponse,
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  scanRecordBatches,
  type FetchRequest,
  type FetchResponse,
} from '../../../src/codec/index.js';
import { createFetchPartition, createPartitionData } from '../../../src/codec/generated/fetch.js';
import { FENCED_LEADER_EPOCH, FETCH_SESSION_ID_NOT_FOUND, NOT_LEADER_OR_FOLLOWER } from '../../../src/routing/error-codes.js';
import { NOT_ANSWERED, fetchResponseBytes, mergeFetchResponses } from '../../../src/routing/fetch-merge.js';
import { FINAL_SESSION_EPOCH, isFullFetch, splitFetchRequest } from '../../../src/routing/fetch-split.js';
import { DestinationFailure, NOTHING_YET } from '../../../src/routing/split-route.js';
import { capturedRequest, capturedResponse, recordBatch } from './record-batches.js';

const IDS: Record<string, string> = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA', users: 'dXNlcnMAAAAAAAAAAAAAAA' };
const nameOf = (version: number, t: { topic: string; topicId: string }): string =>
  version >= 13 ? (Object.keys(IDS).find((n) => IDS[n] === t.topicId) as string) : t.topic;

/** orders and users on backend a (partition 3 on its second broker), payments on b. */
function destinationOf(topic: string, partition: number): string {
  if (topic === 'payments') return 'b/1';
  return partition === 3 ? 'a/2' : 'a/1';
}

function clientRequest(version: number, layout: Array<[string, number[]]>, session = { id: 0, epoch: FINAL_SESSION_EPOCH }): FetchRequest {
  const req = createFetchRequest();
  req.maxWaitMs = 500;
  req.minBytes = 1;
  req.maxBytes = 52428800;
  req.isolationLevel = version >= 4 ? 1 : 0;
  if (version >= 7) {
    req.sessionId = session.id;
    req.sessionEpoch = session.epoch;
  }
  if (version >= 11) req.rackId = 'az-b';
  req.topics = layout.map(([name, partitions]) => ({
    topic: version >= 13 ? '' : name,
    topicId: version >= 13 ? IDS[name] : 'AAAAAAAAAAAAAAAAAAAAAA',
    partitions: partitions.map((partition) => {
      const p = createFetchPartition();
      p.partition = partition;
      p.fetchOffset = BigInt(partition * 100);
      p.partitionMaxBytes = 1048576;
      if (version >= 9) p.currentLeaderEpoch = 4;
      return p;
    }),
  }));
  return decodeRequestBody(ApiKey.Fetch, version, encodeRequestBody(ApiKey.Fetch, version, req));
}

/** What a broker answers for one part: each partition one batch at its fetch offset. */
async function brokerAnswer(version: number, part: FetchRequest, opts: { throttleTimeMs?: number; reverse?: boolean } = {}): Promise<FetchResponse> {
  const res = createFetchResponse();
  res.throttleTimeMs = opts.throttleTimeMs ?? 0;
  const topics = await Promise.all(
    part.topics.map(async (t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const d = createPartitionData();
          d.partitionIndex = p.partition;
          d.highWatermark = p.fetchOffset + 10n;
          if (version >= 4) {
            d.lastStableOffset = p.fetchOffset + 10n;
            d.abortedTransactions = [{ producerId: 5n, firstOffset: p.fetchOffset }];
          }
          if (version >= 5) d.logStartOffset = 0n;
          d.records = await recordBatch({ baseOffset: Number(p.fetchOffset), partitionLeaderEpoch: 4 });
          return d;
        }),
      ),
    })),
  );
  res.responses = opts.reverse ? topics.reverse() : topics;
  return decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, res));
}

/** The Java client's check of a full fetch response: exactly the partitions asked for (FetchSessionHandler). */
function expectExactlyRequested(version: number, req: FetchRequest, res: FetchResponse): void {
  const asked = req.topics.flatMap((t) => t.partitions.map((p) => `${nameOf(version, t)}-${p.partition}`)).sort();
  const answered = res.responses.flatMap((t) => t.partitions.map((p) => `${nameOf(version, t)}-${p.partitionIndex}`)).sort();
  expect(answered).toEqual(asked);
}

const VERSIONS = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

describe('fetch split', () => {
  for (const version of VERSIONS) {
    it(`splits a Fetch v${version} into sessionless requests per destination and merges in the client's order`, async () => {
      const req = clientRequest(version, [
        ['orders', [0, 3, 1]],
        ['payments', [2, 0]],
        ['users', [3]],
      ]);
      const split = splitFetchRequest(req, version, (t, p) => destinationOf(nameOf(version, t), p.partition));
      expect(split.sessionErrorCode).toBe(0);
      expect(split.parts.map((p) => p.destination)).toEqual(['a/1', 'a/2', 'b/1']);
      expect(split.parts.map((p) => p.request.topics.map((t) => [nameOf(version, t), t.partitions.map((x) => x.partition)]))).toEqual([
        [['orders', [0, 1]]],
        [['orders', [3]], ['users', [3]]],
        [['payments', [2, 0]]],
      ]);
      for (const part of split.parts) {
        const wire = decodeRequestBody(ApiKey.Fetch, version, encodeRequestBody(ApiKey.Fetch, version, part.request));
        expect(wire).toMatchObject({ maxWaitMs: 500, minBytes: 1, isolationLevel: req.isolationLevel, rackId: req.rackId, forgottenTopicsData: [] });
        expect(wire.maxBytes).toBe(Math.floor(52428800 / 3));
        if (version >= 7) expect([wire.sessionId, wire.sessionEpoch]).toEqual([0, -1]);
      }

      const outcomes = await Promise.all(split.parts.map((p, i) => brokerAnswer(version, p.request, { throttleTimeMs: i * 5, reverse: true })));
      const merged = mergeFetchResponses(split, outcomes);
      const wire = decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, merged));
      expect(wire.responses.map((t) => [nameOf(version, t), t.partitions.map((p) => [p.partitionIndex, p.errorCode, Number(p.highWatermark)])])).toEqual([
        ['orders', [[0, 0, 10], [3, 0, 310], [1, 0, 110]]],
        ['payments', [[2, 0, 210], [0, 0, 10]]],
        ['users', [[3, 0, 310]]],
      ]);
      expect(wire.throttleTimeMs).toBe(10);
      if (version >= 7) expect([wire.errorCode, wire.sessionId]).toEqual([0, 0]);
      expectExactlyRequested(version, req, wire);
      const first = wire.responses[0].partitions[1];
      expect(scanRecordBatches(first.records).batches[0].baseOffset).toBe(300);
      if (version >= 4) expect(first.abortedTransactions).toEqual([{ producerId: 5n, firstOffset: 300n }]);
    });
  }

  it('keeps the whole maxBytes for a single destination, and drops the clusterId the client knows', () => {
    const req = clientRequest(12, [['orders', [0, 1]]]);
    req.clusterId = 'turnout-virtual-cluster';
    const split = splitFetchRequest(req, 12, () => 'a/1');
    expect(split.parts[0].request.maxBytes).toBe(52428800);
    expect(split.parts[0].request.clusterId).toBeUndefined();
  });

  it("answers a full fetch that asks for a session (the Java client's first) without one, ignoring forgotten topics", () => {
    const { version, body } = capturedRequest(ApiKey.Fetch, 'kafka-4.1.1/0146-java-Fetch-v18-request.bin');
    const req = body as FetchRequest;
    expect([req.sessionId, req.sessionEpoch]).toEqual([0, 0]);
    req.forgottenTopicsData = [{ topic: '', topicId: req.topics[0].topicId, partitions: [7] }];
    expect(isFullFetch(req, version)).toBe(true);
    const split = splitFetchRequest(req, version, (_t, p) => (p.partition === 2 ? 'b/1' : 'a/1'));
    expect(split.parts.map((p) => [p.request.sessionId, p.request.sessionEpoch, p.request.forgottenTopicsData])).toEqual([
      [0, -1, []],
      [0, -1, []],
    ]);
    // a broker's answer, captured with the same client, serves as destination a's
    const answer = capturedResponse(ApiKey.Fetch, version, 'kafka-4.1.1/0147-java-Fetch-v18-response.bin') as FetchResponse;
    expect(answer.sessionId).not.toBe(0);
    const merged = mergeFetchResponses(split, [answer, NOT_ANSWERED]);
    expect(merged.sessionId).toBe(0);
    expectExactlyRequested(version, req, merged);
  });

  it('refuses an incremental fetch on a session Turnout never created with FETCH_SESSION_ID_NOT_FOUND', () => {
    const { version, body } = capturedRequest(ApiKey.Fetch, 'kafka-4.1.1/0148-java-Fetch-v18-request.bin');
    const req = body as FetchRequest;
    expect(req.sessionEpoch).toBeGreaterThan(0);
    const split = splitFetchRequest(req, version, () => 'a/1');
    expect(split.parts).toEqual([]);
    expect(split.sessionErrorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
    const merged = mergeFetchResponses(split, []);
    const wire = decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, merged));
    expect(wire).toMatchObject({ errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });

  it('treats a session close (epoch -1 with a session id) as a sessionless full fetch', () => {
    const req = clientRequest(12, [['orders', [0]]], { id: 12345, epoch: -1 });
    expect(isFullFetch(req, 12)).toBe(true);
    expect(splitFetchRequest(req, 12, () => 'a/1').parts[0].request.sessionId).toBe(0);
    expect(isFullFetch(clientRequest(12, [], { id: 0, epoch: 3 }), 12)).toBe(false);
    expect(isFullFetch(clientRequest(6, []), 6)).toBe(true);
  });

  it('answers route errors locally, and tells the destinations not to wait when it does', async () => {
    const version = 12;
    const req = clientRequest(version, [['orders', [0, 1]], ['payments', [0]]]);
    const split = splitFetchRequest(req, version, (t, p) => (t.topic === 'orders' && p.partition === 1 ? { errorCode: FENCED_LEADER_EPOCH } : destinationOf(t.topic, p.partition)));
    expect(split.localCount).toBe(1);
    expect(split.parts.every((p) => p.request.maxWaitMs === 0)).toBe(true);
    const merged = mergeFetchResponses(split, await Promise.all(split.parts.map((p) => brokerAnswer(version, p.request))));
    const fenced = merged.responses[0].partitions[1];
    expect(fenced).toMatchObject({ partitionIndex: 1, errorCode: FENCED_LEADER_EPOCH, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1 });
    expect(fenced.records?.length).toBe(0);
    expectExactlyRequested(version, req, merged);
  });

  it('answers a partition it cannot route yet with nothing and no error, and lets the destinations wait as asked', async () => {
    const version = 12;
    const req = clientRequest(version, [['orders', [0, 1]], ['payments', [0]]]);
    const split = splitFetchRequest(req, version, (t, p) => (t.topic === 'orders' && p.partition === 1 ? NOTHING_YET : destinationOf(t.topic, p.partition)));
    expect(split.localCount).toBe(1);
    expect(split.parts.map((p) => p.request.maxWaitMs)).toEqual(split.parts.map(() => req.maxWaitMs));
    expect(req.maxWaitMs).toBeGreaterThan(0);
    const merged = mergeFetchResponses(split, await Promise.all(split.parts.map((p) => brokerAnswer(version, p.request))));
    const waiting = merged.responses[0].partitions[1];
    expect(waiting).toMatchObject({ partitionIndex: 1, errorCode: 0, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
    expect(waiting.records?.length).toBe(0);
    expectExactlyRequested(version, req, merged);
  });

  it('gives the partitions of a failed, erring or forgetful destination a retriable error', async () => {
    const version = 11;
    const req = clientRequest(version, [['orders', [0, 3]], ['payments', [1]], ['users', [0]]]);
    const split = splitFetchRequest(req, version, (t, p) => destinationOf(t.topic, p.partition));
    const [a1, a2, b1] = await Promise.all(split.parts.map((p) => brokerAnswer(version, p.request)));
    a2.errorCode = 56; // a top-level error: nothing in it can be trusted
    a1.responses = a1.responses.filter((t) => t.topic !== 'users'); // left out
    const merged = mergeFetchResponses(split, [a1, a2, new DestinationFailure('timed out')]);
    expect(b1.responses).toHaveLength(1);
    expect(merged.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
      ['orders', [[0, 0], [3, NOT_LEADER_OR_FOLLOWER]]],
      ['payments', [[1, NOT_LEADER_OR_FOLLOWER]]],
      ['users', [[0, NOT_LEADER_OR_FOLLOWER]]],
    ]);
    expectExactlyRequested(version, req, merged);
  });

  it('answers early: destinations still waiting give their partitions no data and no error', async () => {
    const version = 13;
    const req = clientRequest(version, [['orders', [0]], ['payments', [0]]]);
    const split = splitFetchRequest(req, version, (t, p) => destinationOf(nameOf(version, t), p.partition));
    const a = await brokerAnswer(version, split.parts[0].request);
    expect(fetchResponseBytes(a)).toBeGreaterThan(0);
    const merged = mergeFetchResponses(split, [a, NOT_ANSWERED]);
    const waiting = merged.responses[1].partitions[0];
    expect(waiting).toMatchObject({ errorCode: 0, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
    expect(waiting.records?.length).toBe(0);
    expect(fetchResponseBytes(merged)).toBe(fetchResponseBytes(a));
    expectExactlyRequested(version, req, merged);
  });

  it('takes an empty throttled answer (KIP-219) as no data rather than an error, and its throttle time', async () => {
    const version = 12;
    const req = clientRequest(version, [['orders', [0]], ['payments', [0]]]);
    const split = splitFetchRequest(req, version, (t, p) => destinationOf(t.topic, p.partition));
    const throttled = createFetchResponse();
    throttled.throttleTimeMs = 800;
    const merged = mergeFetchResponses(split, [await brokerAnswer(version, split.parts[0].request), throttled]);
    expect(merged.throttleTimeMs).toBe(800);
    expect(merged.responses[1].partitions[0].errorCode).toBe(0);
  });

  it('unions node endpoints (v16+) and keeps tagged partition fields', async () => {
    const version = 16;
    const req = clientRequest(version, [['orders', [0, 3]]]);
    const split = splitFetchRequest(req, version, (t, p) => destinationOf(nameOf(version, t), p.partition));
    const [first, second] = await Promise.all(split.parts.map((p) => brokerAnswer(version, p.request)));
    first.responses[0].partitions[0].errorCode = NOT_LEADER_OR_FOLLOWER;
    first.responses[0].partitions[0].currentLeader = { leaderId: 3, leaderEpoch: 9 };
    first.nodeEndpoints = [{ nodeId: 3, host: 'turnout', port: 9103, rack: null }];
    second.nodeEndpoints = [{ nodeId: 4, host: 'turnout', port: 9104, rack: 'az-b' }];
    const merged = mergeFetchResponses(split, [first, second]);
    const wire = decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, merged));
    expect(wire.nodeEndpoints?.map((e) => e.nodeId)).toEqual([3, 4]);
    expect(wire.responses[0].partitions[0].currentLeader).toEqual({ leaderId: 3, leaderEpoch: 9 });
  });

  it('sends nothing when every partition is answered locally, and answers them all', () => {
    const version = 13;
    const req = clientRequest(version, [['orders', [0, 1]]]);
    const split = splitFetchRequest(req, version, () => ({ errorCode: FENCED_LEADER_EPOCH }));
    expect(split.parts).toEqual([]);
    const merged = mergeFetchResponses(split, []);
    expect(merged.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([[0, FENCED_LEADER_EPOCH], [1, FENCED_LEADER_EPOCH]]);
    expectExactlyRequested(version, req, merged);
  });

  it('refuses a merge with a wrong number of outcomes', () => {
    const split = splitFetchRequest(clientRequest(12, [['orders', [0]]]), 12, () => 'a/1');
    expect(() => mergeFetchResponses(split, [])).toThrow(RangeError);
  });
});
