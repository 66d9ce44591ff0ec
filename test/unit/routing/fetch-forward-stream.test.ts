// A Fetch served by one leader over several backends is forwarded, and its answer is put in
// the client's terms either whole (through the codec) or as it streams through (in place).
// Both must give the same bytes, for every Fetch version the stream takes, however the answer
// is cut into chunks: virtual topic id, virtual epochs in the tagged fields and in every whole
// v2 batch (not in a trailing part of one), no preferred read replica, the Turnout node shown
// as leader, NodeEndpoints of Turnout's nodes; and for a partition read from an offset segment
// of a cut-over topic, every offset shifted into the virtual log, and from an older segment,
// what lies past its end masked.
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  DecodeError,
  createFetchRequest,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeRequestHeader,
  encodeFetchRequest,
  encodeResponseFrame,
  scanRecordBatches,
} from '../../../src/codec/index.js';
import { createFetchPartition } from '../../../src/codec/generated/fetch.js';
import { writeResponseCorrelationId } from '../../../src/net/correlation.js';
import { UpstreamError } from '../../../src/net/upstream-connection.js';
import type { ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { GENERATION_STRIDE } from '../../../src/routing/leader-epoch-map.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { ForwardedFetch } from '../../../src/routing/multi/fetch-forward.js';
import { PartitionChain } from '../../../src/routing/offset-segments.js';
import { recordBatches } from './record-batches.js';
import { exchange, fetchAnswerFor, learnMetadata, twoBackendRouter, twoBackendSession } from './two-backend-router.js';

const REAL_EPOCH = 3;
/** The topic has been served by east, then west, then east again: generation 2. */
const VIRTUAL_EPOCH = 2 * GENERATION_STRIDE + REAL_EPOCH;
/** With a chain, partition 0 went east → west → east; its last segment begins at virtual 1000, east's real 0. */
const LAST_SEGMENT_FIRST = 1000n;
/** Read from its oldest segment, partition 0's first segment ends at virtual 30: east's batch at 30 lies past it. */
const OLDER_SEGMENT_END = 30n;

/** Partition 0 of orders.a: no chain, read from the last segment of its chain, or from the oldest one. */
type Chained = false | 'last' | 'older';


/** What east's broker 1 answers: two partitions with batches (the last one cut short), aborted transactions and every tagged field that names an epoch or a broker. */
async function brokerAnswer(version: number, request: Buffer): Promise<Buffer> {
  const req = decodeRequestFrame(request, decodeFetchRequest).body;
  const whole = await recordBatches({ baseOffset: 0, partitionLeaderEpoch: REAL_EPOCH, records: 30 }, { baseOffset: 30, partitionLeaderEpoch: REAL_EPOCH - 1 }, { baseOffset: 32, partitionLeaderEpoch: REAL_EPOCH });
  const records = whole.subarray(0, whole.length - 7);
  const res = fetchAnswerFor(req, (p) => {
    p.highWatermark = 40n;
    p.lastStableOffset = 40n;
    p.logStartOffset = 0n;
    p.abortedTransactions = [{ producerId: 77n, firstOffset: 12n }];
    p.preferredReadReplica = 2;
    p.records = records;
    if (version >= 12) {
      p.currentLeader = { leaderId: 1, leaderEpoch: REAL_EPOCH };
      p.divergingEpoch = { epoch: REAL_EPOCH - 1, endOffset: 10n };
      p.snapshotId = { endOffset: 5n, epoch: REAL_EPOCH - 1 };
    }
  });
  res.throttleTimeMs = 5;
  if (version >= 16) res.nodeEndpoints = [{ nodeId: 1, host: 'east-1.brokers.example.internal', port: 9092, rack: null }];
  return encodeResponseFrame(decodeRequestHeader(request.subarray(4)).correlationId, ApiKey.Fetch, version, res);
}

interface Forwarded {
  router: MultiBackendRouter;
  session: ClientSession;
  ex: RequestExchange;
  /** The broker's answer to the forwarded request, correlation id already the client's. */
  answer: Buffer;
}

/**
 * A forwarded Fetch of orders.a partitions 0 and 1; with `chained`, partition 0 is read from the
 * last segment of its chain at virtual 1000, or from its first segment (ending at 30) at 0.
 */
async function forwardedFetch(version: number, chained: Chained = false): Promise<Forwarded> {
  const router = twoBackendRouter();
  const session = twoBackendSession({ leaderOf: () => 1, leaderEpoch: REAL_EPOCH, answer: () => Promise.reject(new Error('the test answers the forwarded Fetch itself')) });
  await learnMetadata(router, session);
  router.epochs.observeServing('orders.a', 0, 'west', 1);
  router.epochs.observeServing('orders.a', 0, 'east', REAL_EPOCH);
  if (chained !== false) {
    const westFirst = chained === 'older' ? OLDER_SEGMENT_END : 400n;
    const chain = new PartitionChain([
      { backend: 'east', firstOffset: 0n, shift: 0n, generation: 0 },
      { backend: 'west', firstOffset: westFirst, shift: westFirst, generation: 1 },
      { backend: 'east', firstOffset: LAST_SEGMENT_FIRST, shift: LAST_SEGMENT_FIRST, generation: 2 },
    ]);
    router.segments.setDomain('orders', { chains: new Map([['orders.a', [chain]]]), groupsBackend: null, era: 2 });
  }

  const fetch = createFetchRequest();
  Object.assign(fetch, { maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
  const virtualId = router.topicIds.virtualIdOf('orders.a') as string;
  fetch.topics = [{ topic: 'orders.a', topicId: virtualId, partitions: [0, 1].map((partition) => Object.assign(createFetchPartition(), { partition, fetchOffset: chained === 'last' && partition === 0 ? LAST_SEGMENT_FIRST : 0n, partitionMaxBytes: 1 << 16 })) }];
  const ex = exchange(ApiKey.Fetch, version, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 7, clientId: 't' }, fetch, encodeFetchRequest));
  router.routeRequest(session, ex);
  expect(ex.deferred, 'forwarded, not gathered').toBeNull();
  expect(ex.routeState).toBeInstanceOf(ForwardedFetch);
  expect(ex.targetAddress).toMatchObject({ backend: 'east', brokerId: 1 });
  // Both partitions from east's real offset 0.
  expect(decodeRequestFrame(ex.frame, decodeFetchRequest).body.topics[0].partitions.map((p) => p.fetchOffset)).toEqual([0n, 0n]);
  const answer = await brokerAnswer(version, ex.frame);
  writeResponseCorrelationId(answer, ex.correlationId);
  return { router, session, ex, answer };
}

/** The answer streamed through in chunks of the given sizes (cycled). */
function streamed(f: Forwarded, chunkSizes: readonly number[]): Buffer {
  const out: Buffer[] = [];
  const stream = f.router.streamResponse(f.session, f.ex, f.answer.length, { emit: (b) => out.push(Buffer.from(b)) });
  if (stream === null) throw new Error('the forwarded Fetch was not streamed');
  const bytes = Buffer.from(f.answer);
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = chunkSizes[i % chunkSizes.length];
    stream.write(bytes.subarray(at, at + n));
    at += n;
  }
  stream.end();
  return Buffer.concat(out);
}

describe('a forwarded Fetch over several backends', () => {
  it.for([11, 12, 13, 15, 16, 17].flatMap((v) => [[v, false] as const, [v, 'last'] as const]))('streamed at v%i (partition 0 of a cut-over topic: %s) gives the bytes the whole answer gives, in the client\'s terms', async ([version, chained]) => {
    const f = await forwardedFetch(version, chained);
    /** Partition 0's offsets are shifted into its last segment; partition 1 has no chain. */
    const shiftOf = (partition: number): bigint => (chained === 'last' && partition === 0 ? LAST_SEGMENT_FIRST : 0n);
    const whole = f.router.rewriteResponse(f.session, f.ex, Buffer.from(f.answer));
    for (const chunks of [[1], [7, 3, 64], [1 << 20]]) {
      const out = streamed(f, chunks);
      if (version < 16) {
        expect(out.equals(whole), `chunks ${chunks.join(',')}`).toBe(true);
      } else {
        // NodeEndpoints keeps its length when streamed: shorter, it is padded with unknown tags.
        expect(out.length).toBe(f.answer.length);
        const { unknownTaggedFields, ...fields } = decodeResponseFrame(out, ApiKey.Fetch, version, decodeFetchResponse).body;
        expect(unknownTaggedFields?.length, 'padding').toBeGreaterThan(0);
        expect(fields, `chunks ${chunks.join(',')}`).toEqual(decodeResponseFrame(whole, ApiKey.Fetch, version, decodeFetchResponse).body);
      }
    }

    const m = decodeResponseFrame(whole, ApiKey.Fetch, version, decodeFetchResponse).body;
    expect(m.throttleTimeMs).toBe(5);
    const topic = m.responses[0];
    if (version >= 13) expect(topic.topicId).toBe(f.router.topicIds.virtualIdOf('orders.a'));
    expect(topic.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
    for (const p of topic.partitions) {
      const shift = shiftOf(p.partitionIndex);
      expect(p.preferredReadReplica).toBe(-1);
      expect([p.highWatermark, p.lastStableOffset, p.logStartOffset]).toEqual([40n + shift, 40n + shift, shift]);
      expect(p.abortedTransactions).toEqual([{ producerId: 77n, firstOffset: 12n + shift }]);
      const scan = scanRecordBatches(p.records);
      expect(scan.batches.map((b) => b.partitionLeaderEpoch)).toEqual([VIRTUAL_EPOCH, VIRTUAL_EPOCH - 1, VIRTUAL_EPOCH].slice(0, scan.batches.length));
      expect(scan.batches.map((b) => b.baseOffsetBigInt)).toEqual([0n + shift, 30n + shift]);
      expect(scan.batches.every((b) => b.verifyCrc()), 'batch checksums still hold').toBe(true);
      expect(scan.trailingPartialBytes).toBeGreaterThan(0);
      if (version >= 12) {
        expect(p.currentLeader?.leaderEpoch).toBe(VIRTUAL_EPOCH);
        expect([0, 1, 2]).toContain(p.currentLeader?.leaderId);
        expect(p.divergingEpoch).toMatchObject({ epoch: VIRTUAL_EPOCH - 1, endOffset: 10n + shift });
        expect(p.snapshotId).toMatchObject({ epoch: VIRTUAL_EPOCH - 1, endOffset: 5n + shift });
      }
    }
    if (version >= 16) {
      const leaders = [...new Set(topic.partitions.map((p) => p.currentLeader?.leaderId as number))].sort((a, b) => a - b);
      expect(m.nodeEndpoints?.map((e) => [e.nodeId, e.host, e.port])).toEqual(leaders.map((id) => [id, 'turnout', 9100 + id]));
    }
    expect(whole.includes(Buffer.from('east-1'))).toBe(false);
    expect(streamed(f, [13]).includes(Buffer.from('east-1'))).toBe(false);
  });

  it.for([11, 12, 13, 15, 16, 17])('streamed at v%i with partition 0 read from an older segment gives the bytes the whole answer gives: shifted, capped at its end, the batch past it masked', async (version) => {
    const f = await forwardedFetch(version, 'older');
    const whole = f.router.rewriteResponse(f.session, f.ex, Buffer.from(f.answer));
    // Masked, not cut: the answer keeps its length (from v16 NodeEndpoints, Turnout's own, may be shorter).
    if (version < 16) expect(whole.length).toBe(f.answer.length);
    for (const chunks of [[1], [7, 3, 64], [1 << 20]]) {
      const out = streamed(f, chunks);
      if (version < 16) {
        expect(out.equals(whole), `chunks ${chunks.join(',')}`).toBe(true);
      } else {
        const { unknownTaggedFields, ...fields } = decodeResponseFrame(out, ApiKey.Fetch, version, decodeFetchResponse).body;
        expect(unknownTaggedFields?.length, 'padding').toBeGreaterThan(0);
        expect(fields, `chunks ${chunks.join(',')}`).toEqual(decodeResponseFrame(whole, ApiKey.Fetch, version, decodeFetchResponse).body);
      }
    }
    const [p0, p1] = decodeResponseFrame(whole, ApiKey.Fetch, version, decodeFetchResponse).body.responses[0].partitions;
    // Segment 0 is generation 0 and shift 0: epochs and offsets read as east's own, capped at the segment's end.
    expect([p0.highWatermark, p0.lastStableOffset, p0.logStartOffset]).toEqual([OLDER_SEGMENT_END, OLDER_SEGMENT_END, 0n]);
    expect(p0.abortedTransactions).toEqual([{ producerId: 77n, firstOffset: 12n }]);
    const records = p0.records as Buffer;
    const scan = scanRecordBatches(records);
    expect(scan.batches.map((b) => [b.baseOffsetBigInt, b.partitionLeaderEpoch])).toEqual([[0n, REAL_EPOCH]]);
    expect(scan.batches[0].verifyCrc()).toBe(true);
    // East's batch at 30 and the part of one at 32 after it: one trailing part a client skips.
    expect(scan.trailingPartialBytes).toBe(records.length - scan.wholeBytes);
    expect(records.readBigInt64BE(scan.wholeBytes)).toBe(OLDER_SEGMENT_END);
    expect(records.readInt32BE(scan.wholeBytes + 8) + 12).toBe(records.length - scan.wholeBytes + 1);
    if (version >= 12) expect(p0.currentLeader).toMatchObject({ leaderId: -1, leaderEpoch: -1 });
    // Partition 1 has no chain: all its whole batches, in the current generation.
    expect(scanRecordBatches(p1.records).batches.map((b) => [b.baseOffsetBigInt, b.partitionLeaderEpoch])).toEqual([
      [0n, VIRTUAL_EPOCH],
      [30n, VIRTUAL_EPOCH - 1],
    ]);
  });

  it('answers every partition retriable, in the client\'s terms, when the leader fails before answering', async () => {
    const f = await forwardedFetch(13);
    const frame = f.router.failureResponse(f.session, f.ex, new UpstreamError('connection_lost', 'east', 1, 'broker closed the connection'));
    const m = decodeResponseFrame(frame as Buffer, ApiKey.Fetch, 13, decodeFetchResponse).body;
    expect(m.responses.map((t) => t.topicId)).toEqual([f.router.topicIds.virtualIdOf('orders.a')]);
    expect(m.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, 6],
      [1, 6],
    ]);
  });

  it.for([11, 13, 17].flatMap((v) => [[v, 'last'] as const, [v, 'older'] as const]))('turns a damaged v%i answer (partition 0 read from the %s segment) into a DecodeError or a rewrite of the same length, nothing else', async ([version, chained]) => {
    const f = await forwardedFetch(version, chained);
    // A fixed-seed generator (mulberry32), so a failure can be replayed.
    let seed = 0x5eed + version;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let decodeErrors = 0;
    for (let i = 0; i < 400; i++) {
      const damaged = Buffer.from(f.answer);
      // Past the size prefix and correlation id, which the client connection checks first.
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) damaged[8 + Math.floor(random() * (damaged.length - 8))] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? Math.floor(random() * damaged.length) : damaged.length;
      const out: Buffer[] = [];
      try {
        const stream = f.router.streamResponse(f.session, f.ex, damaged.length, { emit: (b) => out.push(Buffer.from(b)) });
        if (stream === null) throw new Error('not streamed');
        for (let at = 0; at < cut; ) {
          const n = Math.min(cut - at, 1 + Math.floor(random() * 300));
          stream.write(damaged.subarray(at, at + n));
          at += n;
        }
        stream.end();
        expect(Buffer.concat(out).length).toBe(damaged.length);
      } catch (err) {
        expect(err, String(err)).toBeInstanceOf(DecodeError);
        decodeErrors++;
      }
    }
    expect(decodeErrors, 'damage that was caught').toBeGreaterThan(0);
  });

  it('is gathered, not forwarded, when part of it is answered locally', async () => {
    const f = await forwardedFetch(12);
    expect(f.ex.deferred).toBeNull();
    // the same router, a Fetch that also names a partition of an unknown topic: answered partly locally
    const fetch = createFetchRequest();
    Object.assign(fetch, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
    fetch.topics = [
      { topic: 'orders.a', topicId: f.router.topicIds.virtualIdOf('orders.a') as string, partitions: [Object.assign(createFetchPartition(), { partition: 0 })] },
      { topic: 'orders.none', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: [Object.assign(createFetchPartition(), { partition: 0 })] },
    ];
    const ex = exchange(ApiKey.Fetch, 13, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 13, correlationId: 7, clientId: 't' }, fetch, encodeFetchRequest));
    f.router.routeRequest(f.session, ex);
    expect(ex.targetAddress).toBeNull();
    expect(ex.routeState).toBeUndefined();
    const answer = decodeResponseFrame((await ex.deferred) as Buffer, ApiKey.Fetch, 13, decodeFetchResponse).body;
    expect(answer.responses.map((t) => t.partitions[0].errorCode)).toEqual([6, 100]);
  });
});
