// The routing modules strung together as the data path will use them, against two fake
// backends that check they only ever see their own ids and epochs.
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createFetchResponse,
  createMetadataResponse,
  createProduceRequest,
  createProduceResponse,
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  scanRecordBatches,
  type FetchRequest,
  type FetchResponse,
  type MetadataResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../../../src/codec/index.js';
import { createFetchPartition, createPartitionData } from '../../../src/codec/generated/fetch.js';
import { createPartitionProduceResponse } from '../../../src/codec/generated/produce.js';
import { FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_ID } from '../../../src/routing/error-codes.js';
import { mergeFetchResponses } from '../../../src/routing/fetch-merge.js';
import { splitFetchRequest } from '../../../src/routing/fetch-split.js';
import { LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { fetchPartitionEpochsToReal, fetchPartitionEpochsToVirtual, recordsEpochsToReal } from '../../../src/routing/leader-epoch-rewrite.js';
import { mergeMetadataResponses } from '../../../src/routing/metadata-merge.js';
import { mergeProduceResponses } from '../../../src/routing/produce-merge.js';
import { splitProduceRequest } from '../../../src/routing/produce-split.js';
import { ProducerIdMap } from '../../../src/routing/producer-id-map.js';
import { answerIdempotentInitProducerId } from '../../../src/routing/producer-id-rewrite.js';
import type { PartitionRoute } from '../../../src/routing/split-route.js';
import { TopicIdMap } from '../../../src/routing/topic-id-map.js';
import {
  fetchRequestTopicIdsToReal,
  fetchResponseTopicIdsToVirtual,
  fetchTopicName,
  produceRequestTopicIdsToReal,
  produceResponseTopicIdsToVirtual,
  produceTopicName,
} from '../../../src/routing/topic-id-rewrite.js';
import { recordBatch } from './record-batches.js';

interface FakeBackend {
  name: string;
  /** topic → real id */
  topics: Record<string, string>;
  /** topic → partition leader epoch (all partitions) */
  epochs: Record<string, number>;
  /** real producer ids this backend handed out */
  producerIds: Set<bigint>;
  nextProducerId: bigint;
}

function backends(): Record<string, FakeBackend> {
  return {
    a: { name: 'a', topics: { orders: 'YU9yZGVyc0FBQUFBQUFBQQ' }, epochs: { orders: 5 }, producerIds: new Set(), nextProducerId: 100n },
    b: {
      name: 'b',
      topics: { payments: 'YlBheW1lbnRzQUFBQUFBQQ', orders: 'Yk9yZGVyc0FBQUFBQUFBQQ' },
      epochs: { payments: 2, orders: 1 },
      producerIds: new Set(),
      nextProducerId: 900n,
    },
  };
}

function metadataOf(backend: FakeBackend): MetadataResponse {
  const m = createMetadataResponse();
  m.clusterId = `real-${backend.name}`;
  m.brokers = [{ nodeId: 1, host: `${backend.name}.internal`, port: 9092, rack: null }];
  m.topics = Object.entries(backend.topics).map(([name, topicId]) => ({
    errorCode: 0,
    name,
    topicId,
    isInternal: false,
    partitions: [0, 1].map((i) => ({ errorCode: 0, partitionIndex: i, leaderId: 1, leaderEpoch: backend.epochs[name], replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
    topicAuthorizedOperations: -2147483648,
  }));
  return decodeResponseBody(ApiKey.Metadata, 12, encodeResponseBody(ApiKey.Metadata, 12, m));
}

/** Turnout's view: metadata merged once, so ids and epochs are bound. */
function virtualCluster(owner: Record<string, string>) {
  const fakes = backends();
  const topicIds = new TopicIdMap();
  const epochs = new LeaderEpochMap();
  const merge = (own: Record<string, string>) =>
    mergeMetadataResponses({
      version: 12,
      requestedTopics: null,
      backendResponses: new Map(Object.values(fakes).map((f) => [f.name, metadataOf(f)])),
      resolveBackend: (t) => own[t],
      brokers: [{ nodeId: 0, host: 'turnout', port: 9100, rack: null }],
      clusterId: 'turnout-vc',
      controllerId: 0,
      topicIds,
      epochs,
      placePartition: (_b, _t, p) => {
        p.leaderId = 0;
        p.replicaNodes = [0];
        p.isrNodes = [0];
      },
    }).response;
  return { fakes, topicIds, epochs, merge, owner };
}

describe('split and merge composed with id and epoch translation', () => {
  it('serves a Fetch v13 over two backends with virtual topic ids and epochs only', async () => {
    const version = 13;
    const vc = virtualCluster({ orders: 'a', payments: 'b' });
    const before = vc.merge(vc.owner);
    const ordersId = before.topics.find((t) => t.name === 'orders')?.topicId as string;
    const paymentsId = before.topics.find((t) => t.name === 'payments')?.topicId as string;
    const oldOrdersEpoch = before.topics.find((t) => t.name === 'orders')?.partitions[0].leaderEpoch as number;
    // the orders domain moves to b; the client refreshes and learns the new epoch
    vc.owner.orders = 'b';
    const after = vc.merge(vc.owner);
    const ordersEpoch = after.topics.find((t) => t.name === 'orders')?.partitions[0].leaderEpoch as number;
    expect(ordersEpoch).toBeGreaterThan(oldOrdersEpoch);
    expect(after.topics.find((t) => t.name === 'orders')?.topicId).toBe(ordersId);

    // the client fetches orders-0 with the new epoch, orders-1 with the old one, payments-0, and a topic id it made up
    const req = createFetchRequest();
    Object.assign(req, { maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: 0 });
    const part = (partition: number, currentLeaderEpoch: number) => Object.assign(createFetchPartition(), { partition, currentLeaderEpoch, fetchOffset: 10n, partitionMaxBytes: 1 << 16 });
    req.topics = [
      { topic: '', topicId: ordersId, partitions: [part(0, ordersEpoch), part(1, oldOrdersEpoch)] },
      { topic: '', topicId: paymentsId, partitions: [part(0, -1)] },
      { topic: '', topicId: 'bWFkZVVwQUFBQUFBQUFBQQ', partitions: [part(0, -1)] },
    ];
    const clientReq = decodeRequestBody(ApiKey.Fetch, version, encodeRequestBody(ApiKey.Fetch, version, req));

    const route = (t: { topic: string; topicId: string }, p: Parameters<typeof fetchPartitionEpochsToReal>[0]): PartitionRoute => {
      const name = fetchTopicName(t, version, vc.topicIds);
      if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const backend = vc.owner[name];
      if (vc.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const err = fetchPartitionEpochsToReal(p, version, name, backend, vc.epochs);
      return err !== 0 ? { errorCode: err } : `${backend}/1`;
    };
    const split = splitFetchRequest(clientReq, version, route);
    expect(split.parts.map((p) => p.destination)).toEqual(['b/1']);

    const outcomes = await Promise.all(
      split.parts.map(async (p) => {
        const backend = vc.fakes[p.destination.split('/')[0]];
        fetchRequestTopicIdsToReal(p.request, version, backend.name, vc.topicIds);
        const upstream = decodeRequestBody(ApiKey.Fetch, version, encodeRequestBody(ApiKey.Fetch, version, p.request));
        const answer = await fakeFetch(backend, upstream);
        const res = decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, answer));
        fetchResponseTopicIdsToVirtual(res, version, backend.name, vc.topicIds);
        for (const t of res.responses) {
          const name = fetchTopicName(t, version, vc.topicIds) as string;
          for (const d of t.partitions) fetchPartitionEpochsToVirtual(d, name, backend.name, vc.epochs);
        }
        return res;
      }),
    );
    const merged = decodeResponseBody(ApiKey.Fetch, version, encodeResponseBody(ApiKey.Fetch, version, mergeFetchResponses(split, outcomes)));
    expect(merged.sessionId).toBe(0);
    expect(merged.responses.map((t) => [t.topicId, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
      [ordersId, [[0, 0], [1, FENCED_LEADER_EPOCH]]],
      [paymentsId, [[0, 0]]],
      ['bWFkZVVwQUFBQUFBQUFBQQ', [[0, UNKNOWN_TOPIC_ID]]],
    ]);
    const ordersBatch = scanRecordBatches(merged.responses[0].partitions[0].records).batches[0];
    expect(ordersBatch.partitionLeaderEpoch).toBe(ordersEpoch);
    expect(merged.responses[0].partitions[0].currentLeader?.leaderEpoch).toBe(ordersEpoch);
    expect(ordersBatch.verifyCrc()).toBe(true);
  });

  it('serves a Produce v13 of one idempotent producer over two backends, each seeing its own producer id', async () => {
    const version = 13;
    const vc = virtualCluster({ orders: 'a', payments: 'b' });
    const meta = vc.merge(vc.owner);
    const idOf = (name: string) => meta.topics.find((t) => t.name === name)?.topicId as string;
    const producerIds = new ProducerIdMap({
      obtain: async (backend) => {
        const f = vc.fakes[backend];
        const id = f.nextProducerId++;
        f.producerIds.add(id);
        return { producerId: id, producerEpoch: 0 };
      },
    });
    const producer = answerIdempotentInitProducerId(producerIds);

    const req = createProduceRequest();
    Object.assign(req, { acks: -1, timeoutMs: 30000 });
    req.topicData = [
      { name: '', topicId: idOf('orders'), partitionData: [{ index: 0, records: await recordBatch({ producerId: producer.producerId, producerEpoch: 0, baseSequence: 0 }) }] },
      { name: '', topicId: idOf('payments'), partitionData: [{ index: 1, records: await recordBatch({ producerId: producer.producerId, producerEpoch: 0, baseSequence: 0 }) }] },
    ];
    const clientReq = decodeRequestBody(ApiKey.Produce, version, encodeRequestBody(ApiKey.Produce, version, req));
    const split = splitProduceRequest(clientReq, version, (t) => {
      const name = produceTopicName(t, version, vc.topicIds);
      return name === undefined ? { errorCode: UNKNOWN_TOPIC_ID } : `${vc.owner[name]}/1`;
    });
    expect(split.parts.map((p) => p.destination)).toEqual(['a/1', 'b/1']);

    const outcomes = await Promise.all(
      split.parts.map(async (p) => {
        const backend = vc.fakes[p.destination.split('/')[0]];
        for (const t of p.request.topicData) {
          const name = produceTopicName(t, version, vc.topicIds) as string;
          for (const d of t.partitionData) {
            await producerIds.prepareBatches(d.records, backend.name);
            producerIds.rewriteBatchesToReal(d.records, backend.name);
            recordsEpochsToReal(d.records, name, d.index, backend.name, vc.epochs);
          }
        }
        produceRequestTopicIdsToReal(p.request, version, backend.name, vc.topicIds);
        const upstream = decodeRequestBody(ApiKey.Produce, version, encodeRequestBody(ApiKey.Produce, version, p.request));
        const res = decodeResponseBody(ApiKey.Produce, version, encodeResponseBody(ApiKey.Produce, version, fakeProduce(backend, upstream)));
        produceResponseTopicIdsToVirtual(res, version, backend.name, vc.topicIds);
        return res;
      }),
    );
    const merged = mergeProduceResponses(split, outcomes);
    expect(merged.responses.map((t) => [t.topicId, t.partitionResponses.map((p) => [p.index, p.errorCode])])).toEqual([
      [idOf('orders'), [[0, 0]]],
      [idOf('payments'), [[1, 0]]],
    ]);
    expect([...vc.fakes.a.producerIds]).toEqual([100n]);
    expect([...vc.fakes.b.producerIds]).toEqual([900n]);
  });
});

/** A broker of `backend`: checks the request holds only its own topic ids and epochs, answers with one batch per partition. */
async function fakeFetch(backend: FakeBackend, req: FetchRequest): Promise<FetchResponse> {
  const byId = new Map(Object.entries(backend.topics).map(([n, id]) => [id, n]));
  const res = createFetchResponse();
  for (const t of req.topics) {
    const name = byId.get(t.topicId);
    expect(name, `backend ${backend.name} got a topic id it does not have`).toBeDefined();
    const partitions = [];
    for (const p of t.partitions) {
      if (p.currentLeaderEpoch >= 0) expect(p.currentLeaderEpoch).toBe(backend.epochs[name as string]);
      const d = createPartitionData();
      d.partitionIndex = p.partition;
      d.highWatermark = 20n;
      d.currentLeader = { leaderId: 1, leaderEpoch: backend.epochs[name as string] };
      d.records = await recordBatch({ baseOffset: Number(p.fetchOffset), partitionLeaderEpoch: backend.epochs[name as string] });
      partitions.push(d);
    }
    res.responses.push({ topic: '', topicId: t.topicId, partitions });
  }
  return res;
}

function fakeProduce(backend: FakeBackend, req: ProduceRequest): ProduceResponse {
  const byId = new Map(Object.entries(backend.topics).map(([n, id]) => [id, n]));
  const res = createProduceResponse();
  for (const t of req.topicData) {
    expect(byId.has(t.topicId), `backend ${backend.name} got a topic id it does not have`).toBe(true);
    for (const p of t.partitionData) {
      for (const b of scanRecordBatches(p.records).batches) {
        expect(backend.producerIds.has(b.producerIdBigInt), `backend ${backend.name} got producer ${b.producerIdBigInt}`).toBe(true);
        expect(b.verifyCrc()).toBe(true);
      }
    }
    res.responses.push({
      name: '',
      topicId: t.topicId,
      partitionResponses: t.partitionData.map((p) => Object.assign(createPartitionProduceResponse(), { index: p.index, baseOffset: 0n })),
    });
  }
  return res;
}
