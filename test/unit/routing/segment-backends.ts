// Fake backends for the tests of chained partitions (a cutover's offset segments): east and
// west each hold a log of orders.a partition 0 (records with offsets, timestamps and leader
// epochs, a log start, an epoch cache) and answer the requests a router sends for it as a
// Kafka broker would: Metadata, ListOffsets, OffsetForLeaderEpoch, DeleteRecords, Produce,
// InitProducerId, FindCoordinator, the transaction and group requests. Every request is
// recorded for the test to inspect.
//
// The default history is a three-segment chain east → west → east:
//
//   east  real 0..9   ts 1000..1009  epoch 3   segment 0: virtual 0..9,   shift 0, generation 1
//   west  real 0..1   ts 500..501    epoch 6   written there directly before the first switch
//   west  real 2..6   ts 2000..2004  epoch 7   segment 1: virtual 10..14, shift 8, generation 2
//   east  real 10..13 ts 3000..3003  epoch 4   segment 2: virtual 15..18, shift 5, generation 4
//
// Generation 0 is east's from before the chain (the router's first Metadata), generation 3 one
// no segment has.
import {
  ApiKey,
  createMetadataResponse,
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponseFrame,
  scanRecordBatches,
  type AnyResponse,
  type DecodedRequestHeader,
} from '../../../src/codec/index.js';
import { apiCodec } from '../../../src/codec/index.js';
import type { BrokerAddress, ClientSession } from '../../../src/net/request-router.js';
import { PartitionChain, type OffsetSegment } from '../../../src/routing/offset-segments.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { decodeResponseFrame, encodeRequestFrame, type BodyDecoder, type BodyEncoder } from '../../../src/codec/message-frames.js';
import { ORDERS_REAL_ID, exchange, learnMetadata, sessionAnswering, twoBackendRouter } from './two-backend-router.js';

const FENCED_LEADER_EPOCH = 74;
const UNKNOWN_LEADER_EPOCH = 75;
const OFFSET_OUT_OF_RANGE = 1;

interface FakeRecord {
  offset: bigint;
  timestamp: bigint;
  epoch: number;
}

/** One partition's log on one backend, as a broker keeps it. */
export class FakePartitionLog {
  records: FakeRecord[] = [];
  logStart = 0n;
  next = 0n;
  /** The leader epoch cache: epoch → start offset, ascending. */
  epochs: Array<{ epoch: number; start: bigint }> = [];

  get leaderEpoch(): number {
    return this.epochs.length === 0 ? -1 : this.epochs[this.epochs.length - 1].epoch;
  }

  /** A new leader epoch from the log end (a leader records it at election). */
  lead(epoch: number): this {
    this.epochs.push({ epoch, start: this.next });
    return this;
  }

  append(count: number, timestampOf: (i: number) => number): bigint {
    const base = this.next;
    for (let i = 0; i < count; i++) this.records.push({ offset: this.next++, timestamp: BigInt(timestampOf(i)), epoch: this.leaderEpoch });
    return base;
  }

  private retained(): FakeRecord[] {
    return this.records.filter((r) => r.offset >= this.logStart);
  }

  epochAt(offset: bigint): number {
    let epoch = -1;
    for (const e of this.epochs) if (e.start <= offset) epoch = e.epoch;
    return epoch;
  }

  /** A current leader epoch check as a broker makes it: 0, or the error. */
  checkCurrent(current: number): number {
    if (current < 0 || current === this.leaderEpoch) return 0;
    return current < this.leaderEpoch ? FENCED_LEADER_EPOCH : UNKNOWN_LEADER_EPOCH;
  }

  listOffsets(timestamp: bigint): { offset: bigint; timestamp: bigint; leaderEpoch: number } {
    const none = { offset: -1n, timestamp: -1n, leaderEpoch: -1 };
    if (timestamp === -1n) return { offset: this.next, timestamp: -1n, leaderEpoch: this.leaderEpoch };
    if (timestamp === -2n || timestamp === -4n) return { offset: this.logStart, timestamp: -1n, leaderEpoch: this.epochAt(this.logStart) };
    if (timestamp === -3n) {
      let best: FakeRecord | undefined;
      for (const r of this.retained()) if (best === undefined || r.timestamp > best.timestamp) best = r;
      return best === undefined ? none : { offset: best.offset, timestamp: best.timestamp, leaderEpoch: best.epoch };
    }
    if (timestamp < 0n) return none;
    const r = this.retained().find((x) => x.timestamp >= timestamp);
    return r === undefined ? none : { offset: r.offset, timestamp: r.timestamp, leaderEpoch: r.epoch };
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor. */
  endOffsetFor(epoch: number): { leaderEpoch: number; endOffset: bigint } {
    if (epoch < 0) return { leaderEpoch: -1, endOffset: -1n };
    if (epoch === this.leaderEpoch) return { leaderEpoch: epoch, endOffset: this.next };
    const higher = this.epochs.find((e) => e.epoch > epoch);
    if (higher === undefined) return { leaderEpoch: -1, endOffset: -1n };
    const floor = [...this.epochs].reverse().find((e) => e.epoch <= epoch);
    return { leaderEpoch: floor === undefined ? epoch : floor.epoch, endOffset: higher.start };
  }

  /** DeleteRecords: the new low watermark, or the error. */
  deleteBelow(offset: bigint): { lowWatermark: bigint; errorCode: number } {
    const target = offset === -1n ? this.next : offset;
    if (target < 0n || target > this.next) return { lowWatermark: -1n, errorCode: OFFSET_OUT_OF_RANGE };
    if (target > this.logStart) {
      this.logStart = target;
      // The epoch cache is truncated from the start with the log (truncateFromStart).
      const kept = this.epochs.filter((e) => e.start > target);
      const covering = [...this.epochs].reverse().find((e) => e.start <= target);
      this.epochs = covering === undefined ? kept : [{ epoch: covering.epoch, start: target }, ...kept];
    }
    return { lowWatermark: this.logStart, errorCode: 0 };
  }
}

/** What a backend was asked: its decoded request. */
export interface SeenRequest {
  backend: string;
  brokerId: number;
  apiKey: number;
  apiVersion: number;
  body: Record<string, unknown>;
}

/** One fake backend: its partition 0 log of orders.a, and its producer and transaction state. */
export class FakeBackend {
  readonly log = new FakePartitionLog();
  /** Real idempotent producer ids handed out next. */
  nextProducerId: bigint;
  /** Transactional id → its producer on this backend's coordinator. */
  readonly transactions = new Map<string, { producerId: bigint; epoch: number }>();
  private nextTransactionalId: bigint;

  constructor(firstProducerId: bigint) {
    this.nextProducerId = firstProducerId;
    this.nextTransactionalId = firstProducerId + 500n;
  }

  initProducer(transactionalId: string | null): { producerId: bigint; producerEpoch: number } {
    if (transactionalId === null) return { producerId: this.nextProducerId++, producerEpoch: 0 };
    const known = this.transactions.get(transactionalId);
    const next = known === undefined ? { producerId: this.nextTransactionalId++, epoch: 0 } : { producerId: known.producerId, epoch: known.epoch + 1 };
    this.transactions.set(transactionalId, next);
    return { producerId: next.producerId, producerEpoch: next.epoch };
  }
}

export interface SegmentRig {
  router: MultiBackendRouter;
  session: ClientSession;
  backends: Record<'east' | 'west', FakeBackend>;
  /** Every request the backends were sent, in order. */
  seen: SeenRequest[];
  /** Domain → backend, as the policy store's setDomainBackend sets it. */
  domainBackends: Map<string, string>;
  /** Requests of one api the backends were sent, optionally of one backend. */
  requests(apiKey: number, backend?: string): SeenRequest[];
}

const TOPIC = 'orders.a';

/** The default history's segments (see the file comment). */
export const SEGMENTS: readonly OffsetSegment[] = [
  { backend: 'east', firstOffset: 0n, shift: 0n, generation: 1 },
  { backend: 'west', firstOffset: 10n, shift: 8n, generation: 2 },
  { backend: 'east', firstOffset: 15n, shift: 5n, generation: 4 },
];

/** Fills the fake logs with the default history. */
function writeHistory(east: FakePartitionLog, west: FakePartitionLog): void {
  east.lead(3).append(10, (i) => 1000 + i);
  west.lead(6).append(2, (i) => 500 + i);
  west.lead(7).append(5, (i) => 2000 + i);
  east.lead(4).append(4, (i) => 3000 + i);
}

/**
 * A router over the fake east and west backends that has learnt orders.a, with the default
 * history written and its generations adopted, and orders.a partition 0 chained as `segments`
 * (the orders domain in cutover era `era`, its groups coordinated on `groupsBackend`).
 */
export async function segmentRig(opts: { segments?: readonly OffsetSegment[]; era?: number; groupsBackend?: string | null } = {}): Promise<SegmentRig> {
  const backends = { east: new FakeBackend(1000n), west: new FakeBackend(2000n) };
  writeHistory(backends.east.log, backends.west.log);
  const seen: SeenRequest[] = [];
  const domainBackends = new Map<string, string>();
  const router = twoBackendRouter(undefined, domainBackends);
  const session = fakeSession(backends, seen);
  router.setOwnSession(session);
  await learnMetadata(router, session);
  for (const [generation, backend] of [[1, 'east'], [2, 'west'], [4, 'east']] as const) router.epochs.adoptGeneration(TOPIC, generation, backend);
  chainOrders(router, opts.segments ?? SEGMENTS, opts.era ?? 2, opts.groupsBackend ?? null);
  seen.length = 0;
  return {
    router,
    session,
    backends,
    seen,
    domainBackends,
    requests: (apiKey, backend) => seen.filter((r) => r.apiKey === apiKey && (backend === undefined || r.backend === backend)),
  };
}

/** Chains orders.a partition 0 (partition 1 stays untranslated), as the cutover state does. */
export function chainOrders(router: MultiBackendRouter, segments: readonly OffsetSegment[], era: number, groupsBackend: string | null, transactionalGroups: readonly string[] = []): void {
  router.segments.setDomain('orders', { chains: new Map([[TOPIC, [new PartitionChain(segments), undefined]]]), groupsBackend, transactionalGroups: new Set(transactionalGroups), era });
}

function fakeSession(backends: Record<'east' | 'west', FakeBackend>, seen: SeenRequest[]): ClientSession {
  return sessionAnswering((address: BrokerAddress, frame: Buffer) => {
    const h = decodeRequestHeader(frame.subarray(4));
    const body = decodeRequestBody(h.apiKey, h.apiVersion, frame.subarray(4 + h.headerSizeBytes)) as unknown as Record<string, unknown>;
    const backend = backends[address.backend as 'east' | 'west'];
    if (h.apiKey !== ApiKey.Metadata) seen.push({ backend: address.backend, brokerId: address.brokerId, apiKey: h.apiKey, apiVersion: h.apiVersion, body });
    const answer = answerOf(address, backend, h, body);
    return Promise.resolve(encodeResponseFrame(h.correlationId, h.apiKey, h.apiVersion, answer));
  });
}

type Body = Record<string, unknown>;
type Partitions<P> = Array<{ partitions: P[] } & Body>;

/** A backend's answer to one request, as a broker of it would give. */
function answerOf(address: BrokerAddress, backend: FakeBackend, h: DecodedRequestHeader, body: Body): AnyResponse {
  const log = backend.log;
  const m = (apiCodec(h.apiKey)?.createResponse() ?? {}) as Body;
  switch (h.apiKey) {
    case ApiKey.Metadata: {
      const md = createMetadataResponse();
      md.brokers = [1, 2].map((id) => ({ nodeId: id, host: `${address.backend}-${id}`, port: 9092, rack: null }));
      const realId = address.backend === 'east' ? ORDERS_REAL_ID : 'AAAAAAAAAAAAAAAAAAAAAw';
      md.topics = [
        {
          errorCode: 0,
          name: TOPIC,
          topicId: realId,
          isInternal: false,
          partitions: [0, 1].map((i) => ({ errorCode: 0, partitionIndex: i, leaderId: i + 1, leaderEpoch: log.leaderEpoch, replicaNodes: [1, 2], isrNodes: [1, 2], offlineReplicas: [] })),
          topicAuthorizedOperations: -2147483648,
        },
      ];
      return md;
    }
    case ApiKey.ListOffsets:
      m.topics = (body.topics as Partitions<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint }>).map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const errorCode = log.checkCurrent(p.currentLeaderEpoch);
          const found = errorCode === 0 ? log.listOffsets(p.timestamp) : { offset: -1n, timestamp: -1n, leaderEpoch: -1 };
          return { partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], ...found };
        }),
      }));
      return m as unknown as AnyResponse;
    case ApiKey.OffsetForLeaderEpoch:
      m.topics = (body.topics as Partitions<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>).map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const errorCode = log.checkCurrent(p.currentLeaderEpoch);
          const found = errorCode === 0 ? log.endOffsetFor(p.leaderEpoch) : { leaderEpoch: -1, endOffset: -1n };
          return { partition: p.partition, errorCode, ...found };
        }),
      }));
      return m as unknown as AnyResponse;
    case ApiKey.DeleteRecords:
      m.topics = (body.topics as Partitions<{ partitionIndex: number; offset: bigint }>).map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...log.deleteBelow(p.offset) })),
      }));
      return m as unknown as AnyResponse;
    case ApiKey.Produce:
      m.responses = (body.topicData as Array<{ name: string; topicId: string; partitionData: Array<{ index: number; records: Buffer | null }> }>).map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((d) => {
          let count = 0;
          for (const b of scanRecordBatches(d.records).batches) count += b.recordCount;
          const baseOffset = log.append(count, () => 4000);
          return { index: d.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: log.logStart, recordErrors: [], errorMessage: null, currentLeader: { leaderId: 1, leaderEpoch: log.leaderEpoch } };
        }),
      }));
      return m as unknown as AnyResponse;
    case ApiKey.InitProducerId: {
      const real = backend.initProducer(body.transactionalId as string | null);
      return { ...m, errorCode: 0, producerId: real.producerId, producerEpoch: real.producerEpoch } as unknown as AnyResponse;
    }
    case ApiKey.DescribeProducers:
      // One producer in the middle of a transaction that began at real offset 3.
      m.topics = (body.topics as Array<{ name: string; partitionIndexes: number[] }>).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          errorCode: 0,
          errorMessage: null,
          activeProducers: [{ producerId: backend.nextProducerId - 1n, producerEpoch: 0, lastSequence: 4, lastTimestamp: 2004n, coordinatorEpoch: 0, currentTxnStartOffset: 3n }],
        })),
      }));
      return m as unknown as AnyResponse;
    case ApiKey.FindCoordinator:
      return { ...m, errorCode: 0, nodeId: 2, host: `${address.backend}-2`, port: 9092 } as unknown as AnyResponse;
    case ApiKey.AddPartitionsToTxn:
      m.resultsByTopicV3AndBelow = (body.v3AndBelowTopics as Array<{ name: string; partitions: number[] }>).map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: 0 })),
      }));
      return m as unknown as AnyResponse;
    default:
      return m as unknown as AnyResponse;
  }
}

/** Sends a client request through the rig's router and decodes its answer. */
export async function clientAsks<Req, Res>(rig: SegmentRig, apiKey: number, version: number, req: Req, encode: BodyEncoder<Req>, decode: BodyDecoder<Res>): Promise<Res> {
  const ex = exchange(apiKey, version, encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 7, clientId: 't' }, req, encode));
  rig.router.routeRequest(rig.session, ex);
  const frame = await ex.deferred;
  if (frame === null) throw new Error('no answer');
  return decodeResponseFrame(frame, apiKey, version, decode).body;
}
