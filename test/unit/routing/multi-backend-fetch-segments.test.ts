// Fetch of a cut-over partition over several backends: orders.a partition 0 went east → west
// → east again, a chain of three segments; fake brokers hold both backends' logs, including
// records written to a backend directly after the topic left it, which are no part of the
// virtual log. Partition 1 has no chain and reads as before.
//
//   virtual  0 ..  9   east real  0 ..  9   segment 0, generation 0, shift 0
//   virtual 10 .. 24   west real  0 .. 14   segment 1, generation 1, shift 10
//   virtual 25 ..      east real 13 ..      segment 2, generation 2, shift 12
//   east real 10 .. 12 and west real 15 .. 16: written directly, never served
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createFetchResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeResponseFrame,
  scanRecordBatches,
  type FetchResponse,
} from '../../../src/codec/index.js';
import { createFetchPartition, createPartitionData, type FetchPartition, type PartitionData } from '../../../src/codec/generated/fetch.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { writeResponseCorrelationId } from '../../../src/net/correlation.js';
import type { ClientSession } from '../../../src/net/request-router.js';
import { FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE } from '../../../src/routing/error-codes.js';
import { GENERATION_STRIDE } from '../../../src/routing/leader-epoch-map.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { PartitionChain } from '../../../src/routing/offset-segments.js';
import { waitUntil } from '../net/socket-test-kit.js';
import { recordBatch } from './record-batches.js';
import { responseOf } from './router-fixture.js';
import { exchange, learnMetadata, twoBackendRouter, twoBackendSession } from './two-backend-router.js';

const S = GENERATION_STRIDE;
const WEST_REAL_ID = 'AAAAAAAAAAAAAAAAAAAABw';
const READ_COMMITTED = 1;
const END_OF_SEGMENT_0 = 10n;
const END_OF_SEGMENT_1 = 25n;
/** The last record's virtual offset + 1: east's log end 18 + shift 12. */
const LOG_END = 30n;

interface FakeBatch {
  base: number;
  count: number;
  epoch: number;
  producerId?: bigint;
  transactional?: boolean;
  bytes?: Buffer;
}

interface FakeLog {
  batches: FakeBatch[];
  lastStable: number;
  /** Aborted transactions, as a broker lists them for read_committed. */
  aborted: Array<{ producerId: bigint; firstOffset: bigint }>;
}

/** Partition 0 of each backend; partition 1 (no chain) is east's first two batches. */
const LOGS: Record<string, FakeLog> = {
  east: {
    batches: [
      { base: 0, count: 5, epoch: 3 },
      { base: 5, count: 5, epoch: 3 },
      { base: 10, count: 3, epoch: 4 },
      { base: 13, count: 5, epoch: 5 },
    ],
    lastStable: 16,
    aborted: [],
  },
  west: {
    batches: [
      { base: 0, count: 5, epoch: 1 },
      { base: 5, count: 5, epoch: 1, producerId: 77n, transactional: true },
      { base: 10, count: 5, epoch: 2 },
      { base: 15, count: 2, epoch: 2, producerId: 78n, transactional: true },
    ],
    lastStable: 17,
    aborted: [
      { producerId: 77n, firstOffset: 5n },
      { producerId: 78n, firstOffset: 15n },
    ],
  },
};

beforeAll(async () => {
  for (const log of Object.values(LOGS)) {
    for (const b of log.batches) {
      b.bytes = await recordBatch({ baseOffset: b.base, records: b.count, partitionLeaderEpoch: b.epoch, producerId: b.producerId, producerEpoch: b.producerId === undefined ? -1 : 0, baseSequence: b.producerId === undefined ? -1 : 0, transactional: b.transactional });
    }
  }
});

function logEnd(log: FakeLog): number {
  const last = log.batches[log.batches.length - 1];
  return last.base + last.count;
}

/** One partition a fake broker was asked for. */
interface AskedPartition {
  backend: string;
  brokerId: number;
  partition: number;
  fetchOffset: bigint;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** A broker's answer for one partition of its log: every batch from the one holding the offset, as a broker reads. */
function partitionAnswer(backend: string, brokerId: number, fp: FetchPartition, isolationLevel: number, version: number): PartitionData {
  const log = fp.partition === 0 ? LOGS[backend] : { ...LOGS.east, batches: LOGS.east.batches.slice(0, 2), lastStable: 10 };
  const end = logEnd(log);
  const p = createPartitionData();
  p.partitionIndex = fp.partition;
  p.highWatermark = BigInt(end);
  p.lastStableOffset = BigInt(log.lastStable);
  p.logStartOffset = 0n;
  p.records = Buffer.alloc(0);
  if (version >= 12) p.currentLeader = { leaderId: brokerId, leaderEpoch: log.batches[log.batches.length - 1].epoch };
  if (fp.fetchOffset > BigInt(end)) {
    p.errorCode = OFFSET_OUT_OF_RANGE;
    return p;
  }
  const batches = log.batches.filter((b) => BigInt(b.base + b.count) > fp.fetchOffset);
  // A copy: the router rewrites batch headers in place.
  p.records = Buffer.concat(batches.map((b) => b.bytes as Buffer));
  const first = BigInt(batches[0]?.base ?? end);
  p.abortedTransactions = isolationLevel === READ_COMMITTED ? log.aborted.filter((a) => a.firstOffset >= first).map((a) => ({ ...a })) : null;
  return p;
}

interface Fixture {
  router: MultiBackendRouter;
  session: ClientSession;
  registry: Registry;
  asked: AskedPartition[];
  /** The last raw Fetch answer a fake broker gave. */
  lastBrokerAnswer: Buffer | null;
  /** West lists orders.a from when this is true. */
  westHasTopic: boolean;
}

async function fixture(opts: { westListedAtFirst?: boolean } = {}): Promise<Fixture> {
  const registry = new Registry();
  const f = { router: twoBackendRouter(registry), registry, asked: [] as AskedPartition[], lastBrokerAnswer: null as Buffer | null, westHasTopic: opts.westListedAtFirst ?? true } as Fixture;
  f.session = twoBackendSession({
    leaderOf: () => 1,
    leaderEpoch: 5,
    westTopicId: () => (f.westHasTopic ? WEST_REAL_ID : undefined),
    answer: (address, frame, h) => {
      const req = decodeRequestFrame(frame, decodeFetchRequest).body;
      const res = createFetchResponse();
      res.responses = req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((fp) => {
          f.asked.push({ backend: address.backend, brokerId: address.brokerId, partition: fp.partition, fetchOffset: fp.fetchOffset, currentLeaderEpoch: fp.currentLeaderEpoch, lastFetchedEpoch: fp.lastFetchedEpoch });
          return partitionAnswer(address.backend, address.brokerId, fp, req.isolationLevel, h.apiVersion);
        }),
      }));
      const answer = encodeResponseFrame(h.correlationId, ApiKey.Fetch, h.apiVersion, res);
      f.lastBrokerAnswer = Buffer.from(answer);
      return Promise.resolve(answer);
    },
  });
  f.router.setOwnSession(f.session);
  await learnMetadata(f.router, f.session);
  // The cutovers' generations, as the cutover state adopts them: east's return is the current one.
  f.router.epochs.adoptGeneration('orders.a', 1, 'west');
  f.router.epochs.adoptGeneration('orders.a', 2, 'east');
  const chain = new PartitionChain([
    { backend: 'east', firstOffset: 0n, shift: 0n, generation: 0 },
    { backend: 'west', firstOffset: END_OF_SEGMENT_0, shift: 10n, generation: 1 },
    { backend: 'east', firstOffset: END_OF_SEGMENT_1, shift: 12n, generation: 2 },
  ]);
  f.router.segments.setDomain('orders', { chains: new Map([['orders.a', [chain]]]), groupsBackend: null, era: 2 });
  return f;
}

/** Fetches until the partition is served, not answered "nothing yet" (a refresh the router asked for has landed). */
async function fetchUntilServed(f: Fixture, partition: ClientPartition, version?: number): Promise<ClientFetch> {
  let r = await clientFetch(f, [partition], { version });
  for (let i = 0; i < 200 && isNothingYet(only(r)); i++) {
    await new Promise((done) => setTimeout(done, 10));
    r = await clientFetch(f, [partition], { version });
  }
  return r;
}

/**
 * A partition answered as a broker answers one with nothing new: no error (NOT_LEADER_OR_FOLLOWER
 * would make a kafkajs consumer rejoin its group), no records, no offsets.
 */
function isNothingYet(p: PartitionData): boolean {
  return p.errorCode === 0 && p.highWatermark === -1n && p.logStartOffset === -1n && (p.records === null || p.records.length === 0);
}

/** Has the router learn orders.a's leader on west, which no client Metadata asks any more: the first Fetch there gets nothing yet and starts a refresh. */
async function learnWest(f: Fixture): Promise<void> {
  const first = await clientFetch(f, [{ partition: 0, offset: END_OF_SEGMENT_0 }]);
  expect(isNothingYet(only(first)), "west's leader not known yet: nothing yet, no error").toBe(true);
  expect(first.asked).toEqual([]);
  expect(only(await fetchUntilServed(f, { partition: 0, offset: END_OF_SEGMENT_0 })).errorCode, "west's leader learnt").toBe(0);
  f.asked.length = 0;
}

interface ClientPartition {
  partition: number;
  offset: bigint;
  currentLeaderEpoch?: number;
  lastFetchedEpoch?: number;
}

interface ClientFetch {
  answer: FetchResponse;
  forwarded: boolean;
  /** The partitions the brokers were asked for by this Fetch. */
  asked: AskedPartition[];
}

/** A client's Fetch of orders.a through the router; a forwarded one is also streamed, and must give the bytes the whole answer gives. */
async function clientFetch(f: Fixture, partitions: readonly ClientPartition[], opts: { version?: number; isolationLevel?: number; stream?: boolean; maxWaitMs?: number } = {}): Promise<ClientFetch> {
  const v = opts.version ?? 15;
  const fetch = createFetchRequest();
  Object.assign(fetch, { maxWaitMs: opts.maxWaitMs ?? 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1, isolationLevel: opts.isolationLevel ?? 0 });
  fetch.topics = [
    {
      topic: 'orders.a',
      topicId: f.router.topicIds.virtualIdOf('orders.a') as string,
      partitions: partitions.map((p) => Object.assign(createFetchPartition(), { partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 1 << 16, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, lastFetchedEpoch: p.lastFetchedEpoch ?? -1 })),
    },
  ];
  const ex = exchange(ApiKey.Fetch, v, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: v, correlationId: 7, clientId: 't' }, fetch, encodeFetchRequest));
  const askedBefore = f.asked.length;
  f.lastBrokerAnswer = null;
  f.router.routeRequest(f.session, ex);
  const forwarded = ex.deferred === null;
  const frame = (await responseOf(f.router, f.session, ex)) as Buffer;
  // Set by the fake broker while the Fetch was answered.
  const raw = f.lastBrokerAnswer as Buffer | null;
  if (forwarded && raw !== null && opts.stream !== false) {
    writeResponseCorrelationId(raw, ex.correlationId);
    const out: Buffer[] = [];
    const stream = f.router.streamResponse(f.session, ex, raw.length, { emit: (b) => out.push(Buffer.from(b)) });
    if (stream === null) throw new Error('a forwarded Fetch was not streamed');
    for (let at = 0; at < raw.length; at += 11) stream.write(raw.subarray(at, at + 11));
    stream.end();
    expect(Buffer.concat(out).equals(frame), 'streamed and whole answers are the same bytes').toBe(true);
  }
  return { answer: decodeResponseFrame(frame, ApiKey.Fetch, v, decodeFetchResponse).body, forwarded, asked: f.asked.slice(askedBefore) };
}

/** [virtual base offset, last offset, partitionLeaderEpoch] of each whole batch. */
function batchesOf(p: PartitionData): Array<[number, number, number]> {
  return scanRecordBatches(p.records).batches.map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch]);
}

/** The batches a broker serves from `offset` on: the one holding it and every later one. */
function holding(offset: bigint, ...batches: Array<[number, number, number]>): Array<[number, number, number]> {
  return batches.filter(([, last]) => BigInt(last) >= offset);
}

/**
 * Asserts that what follows the whole batches of a forwarded answer's records is masked: the
 * first batch past the segment's end, with everything after it, reads as a trailing part of a
 * batch (its length one byte more than what is left), so a client reads nothing of it.
 */
function expectMaskedPastEnd(p: PartitionData, maskedBatchBase: number): void {
  const records = p.records as Buffer;
  const scan = scanRecordBatches(records);
  const at = scan.wholeBytes;
  expect(scan.trailingPartialBytes, 'records past the end are left as a trailing part').toBe(records.length - at);
  expect(scan.malformed).toBeUndefined();
  expect(records.readBigInt64BE(at), 'the masked batch keeps its real base offset').toBe(BigInt(maskedBatchBase));
  expect(records.readInt32BE(at + 8) + 12, 'masked: one byte longer than what is left').toBe(records.length - at + 1);
}

function only(r: ClientFetch): PartitionData {
  expect(r.answer.responses[0].partitions).toHaveLength(1);
  return r.answer.responses[0].partitions[0];
}

describe('Fetch of a partition cut over east → west → east', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
    await learnWest(f);
  });

  it.for([
    // segment 0: its first offset, its last, its end, one past it
    [0n, 'east', 0n],
    [9n, 'east', 9n],
    [10n, 'west', 0n],
    [11n, 'west', 1n],
    // segment 1
    [24n, 'west', 14n],
    [25n, 'east', 13n],
    [26n, 'east', 14n],
    // segment 2, the last: its last record, the log end, past it
    [29n, 'east', 17n],
    [30n, 'east', 18n],
    [31n, 'east', 19n],
  ] as const)('reads virtual offset %i from %s at real offset %i', async ([offset, backend, real]) => {
    const r = await clientFetch(f, [{ partition: 0, offset }]);
    expect(r.asked.map((a) => [a.backend, a.partition, a.fetchOffset])).toEqual([[backend, 0, real]]);
  });

  it('serves segment 0 in virtual terms, forwarded, the records east took after the topic left it masked', async () => {
    for (const offset of [0n, 9n]) {
      const r = await clientFetch(f, [{ partition: 0, offset }]);
      expect(r.forwarded, 'an older segment is forwarded and streams').toBe(true);
      const p = only(r);
      expect(p.errorCode).toBe(0);
      expect(batchesOf(p)).toEqual(holding(offset, [0, 4, 3], [5, 9, 3]));
      // East real 10.. (written directly, then the last segment's from 13): never read.
      expectMaskedPastEnd(p, 10);
      // The consumer reaches the segment's end and fetches next from the next segment.
      expect([p.highWatermark, p.lastStableOffset, p.logStartOffset]).toEqual([END_OF_SEGMENT_0, END_OF_SEGMENT_0, 0n]);
      expect(p.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    }
  });

  it('serves segment 1 shifted, in its generation, forwarded, the records west took after the topic left it masked', async () => {
    for (const offset of [10n, 11n, 24n]) {
      const r = await clientFetch(f, [{ partition: 0, offset }]);
      expect(r.forwarded, 'an older segment is forwarded and streams').toBe(true);
      const p = only(r);
      expect(batchesOf(p)).toEqual(holding(offset, [10, 14, S + 1], [15, 19, S + 1], [20, 24, S + 2]));
      expectMaskedPastEnd(p, 15);
      expect([p.highWatermark, p.lastStableOffset]).toEqual([END_OF_SEGMENT_1, END_OF_SEGMENT_1]);
      expect(p.abortedTransactions).toBeNull();
      expect(p.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    }
  });

  it('streams an older segment whose backend holds nothing past its end as it came, only shifted', async () => {
    // West real 0 .. 14 alone is segment 1 whole: a partition cut east → west and not written on west since.
    const saved = LOGS.west.batches;
    LOGS.west.batches = saved.slice(0, 3);
    try {
      const r = await clientFetch(f, [{ partition: 0, offset: 10n }]);
      expect(r.forwarded).toBe(true);
      const p = only(r);
      expect(batchesOf(p)).toEqual([
        [10, 14, S + 1],
        [15, 19, S + 1],
        [20, 24, S + 2],
      ]);
      expect(scanRecordBatches(p.records).trailingPartialBytes).toBe(0);
      expect((p.records as Buffer).length, 'no byte dropped').toBe(Buffer.concat(saved.slice(0, 3).map((b) => b.bytes as Buffer)).length);
    } finally {
      LOGS.west.batches = saved;
    }
  });

  it('serves the last segment shifted and in its generation, forwarded and streamed, the leader a Turnout node', async () => {
    for (const offset of [25n, 26n, 29n]) {
      const r = await clientFetch(f, [{ partition: 0, offset }]);
      expect(r.forwarded, 'the last segment is forwarded').toBe(true);
      const p = only(r);
      expect(batchesOf(p)).toEqual([[25, 29, 2 * S + 5]]);
      expect([p.highWatermark, p.lastStableOffset, p.logStartOffset]).toEqual([LOG_END, 28n, 12n]);
      expect([0, 1, 2]).toContain(p.currentLeader?.leaderId);
      expect(p.currentLeader?.leaderEpoch).toBe(2 * S + 5);
    }
    const atEnd = only(await clientFetch(f, [{ partition: 0, offset: LOG_END }]));
    expect([atEnd.errorCode, atEnd.records?.length, atEnd.highWatermark]).toEqual([0, 0, LOG_END]);
    const past = only(await clientFetch(f, [{ partition: 0, offset: LOG_END + 1n }]));
    expect([past.errorCode, past.highWatermark]).toEqual([OFFSET_OUT_OF_RANGE, LOG_END]);
  });

  it.for([12, 13, 15, 17])('reads the whole virtual log at v%i: every offset once, in order, each from its segment, epochs only rising', async (version) => {
    /** [offset, generation of the batch it came in] */
    const read: Array<[number, number]> = [];
    const epochs: number[] = [];
    let position = 0n;
    for (let round = 0; round < 20; round++) {
      const p = only(await clientFetch(f, [{ partition: 0, offset: position }], { version }));
      expect(p.errorCode).toBe(0);
      for (const [base, last, epoch] of batchesOf(p)) {
        for (let o = base; o <= last; o++) if (BigInt(o) >= position) read.push([o, Math.floor(epoch / S)]);
        epochs.push(epoch);
        position = BigInt(last) + 1n;
      }
      if (position >= p.highWatermark && p.highWatermark === LOG_END) break;
    }
    const segmentOf = (o: number): number => (o < END_OF_SEGMENT_0 ? 0 : o < END_OF_SEGMENT_1 ? 1 : 2);
    expect(read).toEqual(Array.from({ length: Number(LOG_END) }, (_, o) => [o, segmentOf(o)]));
    expect([...epochs].sort((a, b) => a - b)).toEqual(epochs);
  });

  it('lists aborted transactions shifted for read_committed, and caps the last stable offset at a segment\'s end', async () => {
    const older = only(await clientFetch(f, [{ partition: 0, offset: 10n }], { isolationLevel: READ_COMMITTED }));
    // Forwarded: the list keeps its length; the one past the end names records the client never reads (masked).
    expect(older.abortedTransactions).toEqual([
      { producerId: 77n, firstOffset: 15n },
      { producerId: 78n, firstOffset: 25n },
    ]);
    expectMaskedPastEnd(older, 15);
    expect(older.lastStableOffset).toBe(END_OF_SEGMENT_1);
    const last = only(await clientFetch(f, [{ partition: 0, offset: 25n }], { isolationLevel: READ_COMMITTED }));
    expect(last.abortedTransactions).toEqual([]);
    expect(last.lastStableOffset).toBe(28n);
    // Segment 0 ends below east's last stable offset in its own terms (16): capped too.
    expect(only(await clientFetch(f, [{ partition: 0, offset: 3n }], { isolationLevel: READ_COMMITTED })).lastStableOffset).toBe(END_OF_SEGMENT_0);
  });

  it('sends an older segment no current epoch and its own generation\'s last fetched epoch, and begins no generation for it', async () => {
    const generations = f.router.epochs.generations('orders.a');
    const current = 2 * S + 5;
    const older = await clientFetch(f, [{ partition: 0, offset: 12n, currentLeaderEpoch: current, lastFetchedEpoch: S + 1 }]);
    expect(older.asked.map((a) => [a.currentLeaderEpoch, a.lastFetchedEpoch])).toEqual([[-1, 1]]);
    const otherGeneration = await clientFetch(f, [{ partition: 0, offset: 12n, currentLeaderEpoch: current, lastFetchedEpoch: 3 }]);
    expect(otherGeneration.asked.map((a) => a.lastFetchedEpoch)).toEqual([-1]);
    // An epoch of generation 0 would be fenced on the last segment; an older one does not check it.
    const zero = await clientFetch(f, [{ partition: 0, offset: 3n, currentLeaderEpoch: 3 }]);
    expect(only(zero).errorCode).toBe(0);
    expect(zero.asked.map((a) => [a.backend, a.currentLeaderEpoch])).toEqual([['east', -1]]);
    expect(f.router.epochs.generations('orders.a')).toEqual(generations);
    expect(f.router.epochs.currentGeneration('orders.a')).toBe(2);

    const last = await clientFetch(f, [{ partition: 0, offset: 27n, currentLeaderEpoch: current, lastFetchedEpoch: current }]);
    expect(last.asked.map((a) => [a.currentLeaderEpoch, a.lastFetchedEpoch])).toEqual([[5, 5]]);
    const fenced = await clientFetch(f, [{ partition: 0, offset: 27n, currentLeaderEpoch: 3 }]);
    expect(only(fenced).errorCode).toBe(FENCED_LEADER_EPOCH);
    expect(fenced.asked).toEqual([]);
  });

  it('forwards a Fetch that also reads an older segment on the same leader, each partition in its own terms, the partition without a chain untouched', async () => {
    const r = await clientFetch(f, [
      { partition: 0, offset: 5n },
      { partition: 1, offset: 5n },
    ]);
    expect(r.forwarded).toBe(true);
    const [p0, p1] = r.answer.responses[0].partitions;
    expect(batchesOf(p0)).toEqual([[5, 9, 3]]);
    expectMaskedPastEnd(p0, 10);
    expect(p0.highWatermark).toBe(END_OF_SEGMENT_0);
    // Partition 1 is east's own log: epochs by the current generation (east's), offsets as they are.
    expect(batchesOf(p1)).toEqual([[5, 9, 2 * S + 3]]);
    expect(p1.highWatermark).toBe(10n);
    expect(p1.currentLeader?.leaderEpoch).toBe(2 * S + 3);
    const both = await clientFetch(f, [
      { partition: 0, offset: 25n },
      { partition: 1, offset: 0n },
    ]);
    expect(both.forwarded, 'the last segment and a partition without a chain on one leader: forwarded').toBe(true);
    expect(batchesOf(both.answer.responses[0].partitions[0])).toEqual([[25, 29, 2 * S + 5]]);
    expect(batchesOf(both.answer.responses[0].partitions[1])).toEqual([
      [0, 4, 2 * S + 3],
      [5, 9, 2 * S + 3],
    ]);
  });

  it('gathers a Fetch of an older segment on one backend and a partition on another, cutting off what lies past the segment\'s end', async () => {
    const r = await clientFetch(
      f,
      [
        { partition: 0, offset: 12n },
        { partition: 1, offset: 5n },
      ],
      // Waiting: every destination is asked what it holds now, and both answers are served together.
      { isolationLevel: READ_COMMITTED, maxWaitMs: 500 },
    );
    expect(r.forwarded, 'west and east: two destinations').toBe(false);
    expect(r.asked.map((a) => a.backend).sort()).toEqual(['east', 'west']);
    const [p0, p1] = r.answer.responses[0].partitions;
    expect(batchesOf(p0)).toEqual([
      [10, 14, S + 1],
      [15, 19, S + 1],
      [20, 24, S + 2],
    ]);
    expect(scanRecordBatches(p0.records).trailingPartialBytes, 'cut, not masked').toBe(0);
    expect(p0.abortedTransactions, 'the one past the end left out with its records').toEqual([{ producerId: 77n, firstOffset: 15n }]);
    expect(p0.highWatermark).toBe(END_OF_SEGMENT_1);
    expect(batchesOf(p1)).toEqual([[5, 9, 2 * S + 3]]);
  });

  it('counts the translated partitions per segment', async () => {
    const count = async (segment: string): Promise<number> => (await f.registry.getSingleMetric('turnout_cutover_fetch_partitions_total')?.get())?.values.find((x) => x.labels.segment === segment)?.value ?? 0;
    const before = await Promise.all(['0', '1', '2'].map(count));
    // Taken whole only: a streamed copy of the same answer would count again.
    const whole = { stream: false };
    await clientFetch(f, [{ partition: 0, offset: 1n }], whole);
    await clientFetch(f, [{ partition: 0, offset: 11n }], whole);
    await clientFetch(f, [{ partition: 0, offset: 12n }], whole);
    await clientFetch(
      f,
      [
        { partition: 0, offset: 26n },
        { partition: 1, offset: 0n },
      ],
      whole,
    );
    const after = await Promise.all(['0', '1', '2'].map(count));
    expect(after.map((n, i) => n - before[i])).toEqual([1, 2, 1]);
  });
});

describe('Fetch of the partition once its oldest segments were retired', () => {
  let f: Fixture;
  let chain: PartitionChain;
  beforeAll(async () => {
    f = await fixture();
    await learnWest(f);
    chain = f.router.segments.chainOf('orders.a', 0) as PartitionChain;
  });

  function retireOldest(count: number): void {
    let c = chain;
    for (let i = 0; i < count; i++) c = c.without(0);
    f.router.segments.setDomain('orders', { chains: new Map([['orders.a', [c]]]), groupsBackend: null, era: 2 });
  }

  it('answers a fetch below the new start OFFSET_OUT_OF_RANGE without asking any backend, and serves the start from west', async () => {
    retireOldest(1);
    for (const offset of [0n, 9n]) {
      const r = await clientFetch(f, [{ partition: 0, offset }]);
      const p = only(r);
      expect([p.errorCode, p.highWatermark, p.logStartOffset]).toEqual([OFFSET_OUT_OF_RANGE, -1n, -1n]);
      expect(p.records?.length ?? 0).toBe(0);
      expect(r.asked).toEqual([]);
    }
    const start = await clientFetch(f, [{ partition: 0, offset: END_OF_SEGMENT_0 }]);
    expect(start.asked.map((a) => [a.backend, a.fetchOffset])).toEqual([['west', 0n]]);
    const p = only(start);
    expect(p.errorCode).toBe(0);
    expect(batchesOf(p)[0]).toEqual([10, 14, S + 1]);
    expect([p.highWatermark, p.logStartOffset]).toEqual([END_OF_SEGMENT_1, END_OF_SEGMENT_0]);
    // A partition without a chain is untouched: offset 0 is its own log's.
    const other = await clientFetch(f, [{ partition: 1, offset: 0n }]);
    expect(only(other).errorCode).toBe(0);
  });

  it("reports the start as log start where the first segment's backend holds older records, forwarded and streamed alike", async () => {
    // Only east's return is left: east real 0..12 (virtual 12..24 by its shift) are below the start.
    retireOldest(2);
    const below = await clientFetch(f, [{ partition: 0, offset: 24n }]);
    expect(only(below).errorCode).toBe(OFFSET_OUT_OF_RANGE);
    expect(below.asked).toEqual([]);
    const r = await clientFetch(f, [{ partition: 0, offset: END_OF_SEGMENT_1 }]);
    expect(r.forwarded, 'the last segment is forwarded').toBe(true);
    const p = only(r);
    expect(batchesOf(p)).toEqual([[25, 29, 2 * S + 5]]);
    expect([p.highWatermark, p.logStartOffset]).toEqual([LOG_END, END_OF_SEGMENT_1]);
  });
});

describe('an older segment on a backend Turnout has not learnt the topic on', () => {
  it('gets nothing yet, without an error, until a refresh of that backend learns the real topic id and leader', async () => {
    const f = await fixture({ westListedAtFirst: false });
    expect(f.router.topicIds.realIdOf(f.router.topicIds.virtualIdOf('orders.a') as string, 'west')).toBeUndefined();
    f.westHasTopic = true;
    const first = await clientFetch(f, [{ partition: 0, offset: 15n }], { version: 13 });
    expect(isNothingYet(only(first))).toBe(true);
    expect(first.asked).toEqual([]);
    const p = only(await fetchUntilServed(f, { partition: 0, offset: 15n }, 13));
    expect(f.router.topicIds.realIdOf(f.router.topicIds.virtualIdOf('orders.a') as string, 'west')).toBe(WEST_REAL_ID);
    expect(p.errorCode).toBe(0);
    expect(batchesOf(p)[0]).toEqual([15, 19, S + 1]);
  });

  it('answers a Fetch of nothing it can route yet after a wait, as a broker with nothing new would, so the client does not spin', async () => {
    const f = await fixture({ westListedAtFirst: false });
    const started = Date.now();
    const waited = await clientFetch(f, [{ partition: 0, offset: 15n }], { version: 13, maxWaitMs: 5_000 });
    expect(isNothingYet(only(waited))).toBe(true);
    expect(Date.now() - started, 'waited at least most of its 250 ms').toBeGreaterThanOrEqual(200);
    expect(waited.asked).toEqual([]);
  });
});
