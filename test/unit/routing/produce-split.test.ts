import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createProduceResponse,
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  type ProduceRequest,
  type ProduceResponse,
} from '../../../src/codec/index.js';
import { createPartitionProduceResponse, type PartitionProduceResponse } from '../../../src/codec/generated/produce.js';
import { NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID } from '../../../src/routing/error-codes.js';
import { mergeProduceResponses } from '../../../src/routing/produce-merge.js';
import { splitProduceRequest } from '../../../src/routing/produce-split.js';
import { DestinationFailure, type PartitionRoute } from '../../../src/routing/split-route.js';
import { capturedRequest, capturedResponse, produceRequestOf } from './record-batches.js';

const ID_ORDERS = 'b3JkZXJzAAAAAAAAAAAAAA';
const ID_PAYMENTS = 'cGF5bWVudHMAAAAAAAAAAA';
const ID_USERS = 'dXNlcnMAAAAAAAAAAAAAAA';
const IDS: Record<string, string> = { orders: ID_ORDERS, payments: ID_PAYMENTS, users: ID_USERS };

/** orders and users live on backend a, payments on b; partition 3 of any topic on a second broker of a. */
function destinationOf(topic: string, partition: number): string {
  if (topic === 'payments') return 'b/1';
  return partition === 3 ? 'a/2' : 'a/1';
}

async function clientRequest(version: number, layout: Array<[string, number[]]>): Promise<ProduceRequest> {
  const req = await produceRequestOf(version, layout, IDS, { transactionalId: version >= 3 ? 'txn-7' : null, timeoutMs: 1234 });
  // through the wire, as the proxy receives it
  return decodeRequestBody(ApiKey.Produce, version, encodeRequestBody(ApiKey.Produce, version, req));
}

const nameOf = (version: number, t: { name: string; topicId: string }): string =>
  version >= 13 ? (Object.keys(IDS).find((n) => IDS[n] === t.topicId) as string) : t.name;

/** What a broker answers for the partitions of one part (baseOffset encodes topic and partition). */
function brokerAnswer(version: number, part: ProduceRequest, throttleTimeMs = 0, reverse = false): ProduceResponse {
  const res = createProduceResponse();
  res.throttleTimeMs = throttleTimeMs;
  const topics = part.topicData.map((t) => ({
    name: t.name,
    topicId: t.topicId,
    partitionResponses: t.partitionData.map((p) => {
      const r = createPartitionProduceResponse();
      r.index = p.index;
      r.baseOffset = BigInt(nameOf(version, t).length * 1000 + p.index);
      r.logAppendTimeMs = version >= 2 ? 1_700_000_000_000n : -1n;
      r.logStartOffset = version >= 5 ? 0n : -1n;
      return r;
    }),
  }));
  // brokers do not promise to answer in request order
  res.responses = reverse ? topics.reverse().map((t) => ({ ...t, partitionResponses: [...t.partitionResponses].reverse() })) : topics;
  return decodeResponseBody(ApiKey.Produce, version, encodeResponseBody(ApiKey.Produce, version, res));
}

const SUPPORTED_VERSIONS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];

describe('produce split', () => {
  for (const version of SUPPORTED_VERSIONS) {
    it(`splits a Produce v${version} per destination, keeping acks, timeout, transactional id and order`, async () => {
      const req = await clientRequest(version, [
        ['orders', [0, 3, 1]],
        ['payments', [2, 0]],
        ['users', [3]],
      ]);
      const split = splitProduceRequest(req, version, (t, p) => destinationOf(nameOf(version, t), p.index));
      expect(split.parts.map((p) => p.destination)).toEqual(['a/1', 'a/2', 'b/1']);
      const layout = split.parts.map((part) =>
        part.request.topicData.map((t) => [nameOf(version, t), t.partitionData.map((p) => p.index)]),
      );
      expect(layout).toEqual([
        [['orders', [0, 1]]],
        [['orders', [3]], ['users', [3]]],
        [['payments', [2, 0]]],
      ]);
      for (const part of split.parts) {
        expect(part.request).toMatchObject({ transactionalId: 'txn-7', acks: -1, timeoutMs: 1234 });
        // each part encodes in the client's version, with the client's record bytes untouched
        const again = decodeRequestBody(ApiKey.Produce, version, encodeRequestBody(ApiKey.Produce, version, part.request));
        expect(again.topicData.length).toBe(part.request.topicData.length);
      }
      expect(split.parts[0].request.topicData[0].partitionData[0]).toBe(req.topicData[0].partitionData[0]);
      expect(split.expectsResponse).toBe(true);
      expect(split.localCount).toBe(0);

      const merged = mergeProduceResponses(
        split,
        split.parts.map((part, i) => brokerAnswer(version, part.request, i * 10, i === 1)),
      );
      const wire = decodeResponseBody(ApiKey.Produce, version, encodeResponseBody(ApiKey.Produce, version, merged));
      expect(wire.responses.map((t) => [nameOf(version, t), t.partitionResponses.map((p) => [p.index, p.errorCode, Number(p.baseOffset)])])).toEqual([
        ['orders', [[0, 0, 6000], [3, 0, 6003], [1, 0, 6001]]],
        ['payments', [[2, 0, 8002], [0, 0, 8000]]],
        ['users', [[3, 0, 5003]]],
      ]);
      expect(wire.throttleTimeMs).toBe(20);
    });
  }

  it('answers partitions with route errors locally and sends the rest', async () => {
    const version = 13;
    const req = await clientRequest(version, [['orders', [0, 1]], ['payments', [0]]]);
    const route = (t: { topicId: string }, p: { index: number }): PartitionRoute =>
      t.topicId === ID_PAYMENTS ? { errorCode: UNKNOWN_TOPIC_ID, errorMessage: 'no such topic id' } : p.index === 1 ? 'a/2' : 'a/1';
    const split = splitProduceRequest(req, version, route);
    expect(split.localCount).toBe(1);
    expect(split.parts.map((p) => p.destination)).toEqual(['a/1', 'a/2']);
    const merged = mergeProduceResponses(split, split.parts.map((p) => brokerAnswer(version, p.request)));
    const wire = decodeResponseBody(ApiKey.Produce, version, encodeResponseBody(ApiKey.Produce, version, merged));
    expect(wire.responses[0].topicId).toBe(ID_ORDERS);
    expect(wire.responses[1]).toMatchObject({ topicId: ID_PAYMENTS });
    expect(wire.responses[1].partitionResponses[0]).toMatchObject({ index: 0, errorCode: UNKNOWN_TOPIC_ID, baseOffset: -1n, errorMessage: 'no such topic id' });
  });

  it('gives every partition of a failed destination a retriable error, and the others their results', async () => {
    const version = 9;
    const req = await clientRequest(version, [['orders', [0, 3]], ['payments', [1]]]);
    const split = splitProduceRequest(req, version, (t, p) => destinationOf(t.name, p.index));
    const outcomes = split.parts.map((part) => (part.destination === 'b/1' ? new DestinationFailure('connection lost') : brokerAnswer(version, part.request)));
    const merged = mergeProduceResponses(split, outcomes);
    expect(merged.responses.map((t) => t.partitionResponses.map((p) => [p.index, p.errorCode]))).toEqual([
      [[0, 0], [3, 0]],
      [[1, NOT_LEADER_OR_FOLLOWER]],
    ]);
    expect(merged.responses[1].partitionResponses[0]).toMatchObject({ baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: null });
  });

  it('fails a partition a destination left out of its answer', async () => {
    const version = 7;
    const req = await clientRequest(version, [['orders', [0, 1]]]);
    const split = splitProduceRequest(req, version, () => 'a/1');
    const answer = brokerAnswer(version, split.parts[0].request);
    answer.responses[0].partitionResponses.pop();
    const merged = mergeProduceResponses(split, [answer]);
    expect(merged.responses[0].partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([[0, 0], [1, NOT_LEADER_OR_FOLLOWER]]);
  });

  it('keeps per-partition errors, record errors, current leaders and unions node endpoints (v10+)', async () => {
    const version = 12;
    const req = await clientRequest(version, [['orders', [0, 3]]]);
    const split = splitProduceRequest(req, version, (t, p) => destinationOf(t.name, p.index));
    const [first, second] = split.parts.map((p) => brokerAnswer(version, p.request));
    const p0 = first.responses[0].partitionResponses[0] as PartitionProduceResponse;
    p0.errorCode = 6;
    p0.currentLeader = { leaderId: 7, leaderEpoch: 12 };
    p0.recordErrors = [{ batchIndex: 1, batchIndexErrorMessage: 'bad record' }];
    first.nodeEndpoints = [{ nodeId: 7, host: 'turnout', port: 9100, rack: 'az-a' }];
    second.nodeEndpoints = [{ nodeId: 7, host: 'turnout', port: 9100, rack: 'az-a' }, { nodeId: 8, host: 'turnout', port: 9101, rack: null }];
    const merged = mergeProduceResponses(split, [first, second]);
    const wire = decodeResponseBody(ApiKey.Produce, version, encodeResponseBody(ApiKey.Produce, version, merged));
    expect(wire.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: 6,
      currentLeader: { leaderId: 7, leaderEpoch: 12 },
      recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: 'bad record' }],
    });
    expect(wire.nodeEndpoints?.map((e) => e.nodeId)).toEqual([7, 8]);
  });

  it('keeps a topic listed twice by the client as two entries', async () => {
    const version = 8;
    const req = await clientRequest(version, [['orders', [0]], ['payments', [0]], ['orders', [1]]]);
    const split = splitProduceRequest(req, version, (t, p) => destinationOf(t.name, p.index));
    expect(split.parts[0].request.topicData.map((t) => [t.name, t.partitionData.map((p) => p.index)])).toEqual([['orders', [0]], ['orders', [1]]]);
    const merged = mergeProduceResponses(split, split.parts.map((p) => brokerAnswer(version, p.request)));
    expect(merged.responses.map((t) => [t.name, t.partitionResponses.map((p) => p.index)])).toEqual([['orders', [0]], ['payments', [0]], ['orders', [1]]]);
  });

  it('expects no response for acks=0', async () => {
    const req = await clientRequest(7, [['orders', [0]], ['payments', [0]]]);
    req.acks = 0;
    const split = splitProduceRequest(req, 7, (t, p) => destinationOf(t.name, p.index));
    expect(split.expectsResponse).toBe(false);
    expect(split.parts.every((p) => p.request.acks === 0)).toBe(true);
  });

  it('refuses a merge with a wrong number of outcomes', async () => {
    const req = await clientRequest(7, [['orders', [0]]]);
    const split = splitProduceRequest(req, 7, () => 'a/1');
    expect(() => mergeProduceResponses(split, [])).toThrow(RangeError);
  });

  it('splits and merges the Produce v13 a real Java producer sent, by topic id', () => {
    const { version, body } = capturedRequest(ApiKey.Produce, 'kafka-4.1.1/0132-java-Produce-v13-request.bin');
    const req = body as ProduceRequest;
    const split = splitProduceRequest(req, version, () => 'a/1');
    expect(split.parts).toHaveLength(1);
    expect(encodeRequestBody(ApiKey.Produce, version, split.parts[0].request).equals(encodeRequestBody(ApiKey.Produce, version, req))).toBe(true);
    const answer = capturedResponse(ApiKey.Produce, version, 'kafka-4.1.1/0133-java-Produce-v13-response.bin') as ProduceResponse;
    const merged = mergeProduceResponses(split, [answer]);
    expect(encodeResponseBody(ApiKey.Produce, version, merged).equals(encodeResponseBody(ApiKey.Produce, version, answer))).toBe(true);
  });
});
