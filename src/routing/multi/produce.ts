// Produce over several backends: split per destination (backend + real leader), producer ids
// and batch leader epochs rewritten to each backend's real ones (a real producer id obtained
// first where the producer has none there yet), answers merged in the client's order with
// topic ids, epochs and leaders in the client's terms. Produce goes straight to the real
// leader, wherever it is (one hop, never through another Turnout node); the zones a topic is
// produced from are noted for the remote-leader report of producer-zone domains.
//
// A chained partition (a cutover's offset segments, offset-segments.ts) is written to its last
// segment's backend, which is its domain's backend once a switch is complete; while they
// differ a cutover is switching, and the partition is answered NOT_LEADER_OR_FOLLOWER (the
// client refreshes its metadata and retries). Its answer's offsets (baseOffset,
// logStartOffset) are the segment's plus its shift and its epochs the segment's generation's.
// Producers' real ids are bound per domain era (producer-id-map.ts), so that a cutover gives
// each producer a fresh real id on the backend it moves to.
import { ApiKey, scanRecordBatches, decodeProduceRequest, decodeProduceResponse, encodeProduceRequest, encodeProduceResponse, type ProduceResponse } from '../../codec/index.js';
import type { PartitionProduceData, PartitionProduceResponse, TopicProduceData } from '../../codec/generated/produce.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, UNKNOWN_TOPIC_ID } from '../error-codes.js';
import { producePartitionEpochsToVirtual, recordsEpochsToReal, recordsEpochsToSegment } from '../leader-epoch-rewrite.js';
import { segmentEpochToVirtual, type PartitionChain } from '../offset-segments.js';
import { decodeRequestFrame, decodeResponseFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { mergeProduceResponses, type ProduceOutcome } from '../produce-merge.js';
import { splitProduceRequest } from '../produce-split.js';
import { ProducerStoreError } from '../producer-binding-store.js';
import { ProducerMappingError } from '../producer-id-map.js';
import { DestinationFailure, isRouteError, type PartitionRoute } from '../split-route.js';
import { reuseProduceFrame } from '../produce-frame-reuse.js';
import { encodeRequestFrameInPieces } from '../../codec/frame-in-pieces.js';
import { FRAME_PIECES_HEAD_BYTES, FramePieces } from '../../net/frame-pieces.js';
import { produceRequestTopicIdsToReal, produceResponseTopicIdsToVirtual, produceTopicName } from '../topic-id-rewrite.js';
import { destinationOf, failureOf, parseDestination } from './destinations.js';
import type { MultiContext } from './multi-context.js';
import { CarryTransactionError, carryTransactionPartitions } from './transactions.js';
import { forwardOrderOf } from '../produce-forward-order.js';
import { firstSequencedBatch, isNotStoredError, type SequencedBatch } from '../produce-sequence-gate.js';
import { plainProduceAnswerInPlace } from './produce-answer-in-place.js';

/** The first idempotent batch of a Produce partition as the client sent it, and the destination it was routed to. */
interface RoutedBatch {
  first: SequencedBatch;
  topicKey: string;
  partition: number;
  destination: string;
}

/** A partition of a Produce whose transaction added it under another binding key (before a cutover). */
interface CarriedPartition {
  topic: string;
  partition: number;
  key: string;
  records: Buffer | null;
}

/**
 * Adds the carried partitions to the transaction under their new key before their batches go
 * there (transaction-partitions.ts), as the batches' real producer there (bound by now).
 */
async function carryPartitions(ctx: MultiContext, transactionalId: string, carry: readonly CarriedPartition[]): Promise<void> {
  const byKey = new Map<string, CarriedPartition[]>();
  for (const c of carry) {
    const list = byKey.get(c.key);
    if (list === undefined) byKey.set(c.key, [c]);
    else list.push(c);
  }
  for (const [key, list] of byKey) {
    const batch = scanRecordBatches(list[0].records).batches[0];
    if (batch === undefined) continue;
    const real = await ctx.producerIds.toReal(batch.producerIdBigInt, batch.producerEpoch, key, true);
    await carryTransactionPartitions(ctx, transactionalId, key, real, list);
    ctx.log.info({ transactionalId, key, partitions: list.map((c) => `${c.topic}-${c.partition}`) }, 'open transaction carried to where its domain moved');
  }
}

/** A transaction the client must abort (KIP-890), which it can go on after. */
const TRANSACTION_ABORTABLE = 120;

/** Produce names brokers from this version (CurrentLeader and NodeEndpoints). */
const PRODUCE_FIRST_LEADER_VERSION = 10;

export async function produce(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer | null> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeProduceRequest);
  const policy = ctx.policy();
  const waits = new Map<string, Array<Promise<void>>>();
  /** Topic → the key its producers' real ids are bound under (its backend in its domain's era). */
  const keys = new Map<string, string>();
  /** `partition:topic` → the chain of a chained partition, as routed. */
  const chains = new Map<string, PartitionChain>();
  const transactionalId = body.transactionalId;
  /** Destination → partitions of an open transaction added where its domain was before a cutover. */
  const carried = new Map<string, CarriedPartition[]>();
  const route = (t: TopicProduceData, p: PartitionProduceData): PartitionRoute => {
    const name = produceTopicName(t, v, ctx.topicIds);
    if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
    const domain = ctx.domainOfTopic(name, policy);
    if ('errorCode' in domain) return domain;
    const backend = domain.backend;
    if (v >= 13 && ctx.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
    const chain = ctx.segments.chainOf(name, p.index);
    if (chain !== undefined) {
      if (chain.last.backend !== backend) return { errorCode: NOT_LEADER_OR_FOLLOWER };
      chains.set(`${p.index}:${name}`, chain);
    }
    const leader = ctx.leaders.leaderOf(backend, name, p.index);
    if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
    ctx.zones.produced(session, backend, name);
    const destination = destinationOf(backend, leader);
    let key = keys.get(name);
    if (key === undefined) keys.set(name, (key = ctx.producerKeyOf(backend, domain)));
    if (transactionalId !== null && (ctx.transactionPartitions.offsetsAddedUnder(transactionalId) ?? key) !== key) {
      // Its consumer offsets went where its domain was before a cutover, which aborted it there:
      // the client must abort it too (an abortable error; INVALID_TXN_STATE is fatal to a client).
      return { errorCode: TRANSACTION_ABORTABLE, errorMessage: `transaction ${transactionalId} added its consumer offsets before a cutover moved its domain: abort it` };
    }
    if (transactionalId !== null && ctx.transactionPartitions.addedElsewhere(transactionalId, key, name, p.index)) {
      let list = carried.get(destination);
      if (list === undefined) carried.set(destination, (list = []));
      list.push({ topic: name, partition: p.index, key, records: p.records });
    }
    try {
      const wait = ctx.producerIds.prepareBatches(p.records, key, `${p.index}:${name}`);
      if (wait !== null) {
        let list = waits.get(destination);
        if (list === undefined) waits.set(destination, (list = []));
        list.push(wait);
      }
    } catch (err) {
      if (err instanceof ProducerMappingError) return { errorCode: err.errorCode, errorMessage: err.message };
      throw err;
    }
    return destination;
  };
  /** `partition:topicKey` → the first batch's producer fields of a forwarded idempotent partition, and where it goes. */
  let sequenced: Map<string, RoutedBatch> | undefined;
  const split = splitProduceRequest(body, v, (t, p): PartitionRoute => {
    // The gate keys a topic as the client names it (its id from v13), the same on a retry.
    const topicKey = v >= 13 ? t.topicId : t.name;
    const gated = ctx.sequenceGate.check(topicKey, p.index, p.records);
    if (gated !== null) return gated;
    const routed = route(t, p);
    if (isRouteError(routed)) ctx.sequenceGate.refuse(topicKey, p.index, p.records, routed.errorCode);
    else {
      // Read before the batch header is rewritten to the real producer: the gate keeps the client's ids.
      const first = firstSequencedBatch(p.records);
      if (first !== null) (sequenced ??= new Map()).set(`${p.index}:${topicKey}`, { first, topicKey, partition: p.index, destination: routed });
    }
    return routed;
  });
  const turn = forwardOrderOf(session).take(split.parts.length, waits.size > 0 || carried.size > 0);
  // One broker takes all of it: the client's frame goes on as it is (produce-frame-reuse.ts).
  const whole = split.parts.length === 1 && split.localCount === 0 && split.parts[0].request.topicData.length === body.topicData.length;
  /** The broker's answer, made the client's in place (produce-answer-in-place.ts). */
  let answeredInPlace: Buffer | null = null;
  const outcomes = await Promise.all(
    split.parts.map(async (part): Promise<ProduceOutcome | null> => {
      const { backend, brokerId } = parseDestination(part.destination);
      let sent = false;
      try {
        const pending = waits.get(part.destination);
        if (pending !== undefined) await Promise.all(pending);
        const carry = carried.get(part.destination);
        if (carry !== undefined) await carryPartitions(ctx, transactionalId as string, carry);
        if (turn.previous !== null) await turn.previous;
        for (const t of part.request.topicData) {
          const name = produceTopicName(t, v, ctx.topicIds) as string;
          for (const d of t.partitionData) {
            ctx.producerIds.rewriteBatchesToReal(d.records, keys.get(name) as string, `${d.index}:${name}`);
            const chain = chains.size === 0 ? undefined : chains.get(`${d.index}:${name}`);
            if (chain === undefined) recordsEpochsToReal(d.records, name, d.index, backend, ctx.epochs);
            else recordsEpochsToSegment(d.records, chain.last);
          }
        }
        let frame: Buffer | FramePieces | null = whole ? reuseProduceFrame(ex.frame, part.request, v, (id) => ctx.topicIds.realIdOf(id, backend)) : null;
        if (frame === null) {
          produceRequestTopicIdsToReal(part.request, v, backend, ctx.topicIds);
          // The batches stay where the client's frame holds them: only what is around them is written anew.
          const encoded = encodeRequestFrameInPieces(header, part.request, encodeProduceRequest, FRAME_PIECES_HEAD_BYTES);
          frame = encoded.pieces.length === 1 ? encoded.pieces[0] : new FramePieces(encoded.pieces, encoded.length);
        }
        const sending = session.sendUpstream(ctx.addressOf(backend, brokerId), frame, split.expectsResponse);
        sent = true;
        turn.partDone();
        const res = await sending;
        if (res === null) return null;
        if (whole && chains.size === 0 && plainProduceAnswerInPlace(res, v, ex.correlationId, (id) => ctx.topicIds.virtualIdOfReal(backend, id))) {
          answeredInPlace = res;
          return null;
        }
        const answer = decodeResponseFrame(res, ApiKey.Produce, v, decodeProduceResponse).body;
        produceAnswerToVirtual(ctx, session, answer, v, backend, brokerId, chains);
        if (sequenced !== undefined) gateRefusedBatches(ctx, answer, v, sequenced);
        return answer;
      } catch (err) {
        if (err instanceof ProducerMappingError) return new DestinationFailure(err.message, err.errorCode);
        const failure =
          // Held while the store was retried: never forwarded under an id it does not hold.
          err instanceof ProducerStoreError
            ? new DestinationFailure(err.message, REQUEST_TIMED_OUT)
            : // Not added where the transaction goes on: the client retries the batch.
              err instanceof CarryTransactionError
              ? new DestinationFailure(err.message, REQUEST_TIMED_OUT)
              : failureOf(err);
        if (!(err instanceof ProducerStoreError || err instanceof CarryTransactionError)) ctx.log.debug({ err, destination: part.destination }, 'produce part failed');
        // Not forwarded, or lost with its connection: the client retries these batches, and
        // the ones behind them must not reach a broker first.
        if (sequenced !== undefined) gateFailedPart(ctx, part.destination, sequenced, failure.errorCode);
        return failure;
      } finally {
        if (!sent) turn.partDone();
      }
    }),
  );
  if (!split.expectsResponse) return null;
  if (answeredInPlace !== null) {
    ctx.metrics.produce('in_place');
    return answeredInPlace;
  }
  ctx.metrics.produce(split.parts.length === 0 ? 'local' : whole ? 'decoded' : 'merged');
  const merged = mergeProduceResponses(split, outcomes as ProduceOutcome[]);
  return encodeResponseFrame(ApiKey.Produce, v, { correlationId: ex.correlationId }, merged, encodeProduceResponse);
}

/** Every idempotent batch of a part that failed in Turnout holds back the producer's later ones. */
function gateFailedPart(ctx: MultiContext, destination: string, sequenced: ReadonlyMap<string, RoutedBatch>, errorCode: number): void {
  for (const b of sequenced.values()) if (b.destination === destination) ctx.sequenceGate.refuseBatch(b.topicKey, b.partition, b.first, errorCode);
}

/** Batches a broker refused without storing them hold back the producer's later ones (produce-sequence-gate.ts). */
function gateRefusedBatches(ctx: MultiContext, answer: ProduceResponse, v: number, sequenced: ReadonlyMap<string, RoutedBatch>): void {
  for (const t of answer.responses) {
    for (const p of t.partitionResponses) {
      if (!isNotStoredError(p.errorCode)) continue;
      const topicKey = v >= 13 ? t.topicId : t.name;
      const first = sequenced.get(`${p.index}:${topicKey}`);
      if (first !== undefined) ctx.sequenceGate.refuseBatch(topicKey, p.index, first.first, p.errorCode);
    }
  }
}

function produceAnswerToVirtual(
  ctx: MultiContext,
  session: ClientSession,
  answer: ProduceResponse,
  v: number,
  backend: string,
  brokerId: number,
  chains: ReadonlyMap<string, PartitionChain>,
): void {
  produceResponseTopicIdsToVirtual(answer, v, backend, ctx.topicIds);
  const served = ctx.served(session);
  const named = new Set<number>();
  for (const t of answer.responses) {
    const name = produceTopicName(t, v, ctx.topicIds);
    if (name === undefined) continue;
    for (const p of t.partitionResponses) {
      if (p.errorCode === NOT_LEADER_OR_FOLLOWER) ctx.leaders.forgetBroker(backend, brokerId);
      const chain = chains.size === 0 ? undefined : chains.get(`${p.index}:${name}`);
      if (chain === undefined) producePartitionEpochsToVirtual(p, name, backend, ctx.epochs);
      else produceAnswerToSegment(p, chain);
      if (v >= PRODUCE_FIRST_LEADER_VERSION && p.currentLeader !== undefined && p.currentLeader.leaderId >= 0) {
        p.currentLeader.leaderId = ctx.virtualLeaderOf(session, served, backend, name, p.index, p.currentLeader.leaderId);
        named.add(p.currentLeader.leaderId);
      }
    }
  }
  if (answer.nodeEndpoints !== undefined) answer.nodeEndpoints = ctx.endpointsOf(served, named);
}

/** A chained partition's Produce answer from its last segment's backend, in virtual terms. */
function produceAnswerToSegment(p: PartitionProduceResponse, chain: PartitionChain): void {
  const last = chain.last;
  if (p.baseOffset >= 0n) p.baseOffset += last.shift;
  if (p.logStartOffset >= 0n) {
    // Never below the partition's start: the backend may hold older records that are not the partition's.
    const logStart = p.logStartOffset + last.shift;
    p.logStartOffset = logStart < chain.start ? chain.start : logStart;
  }
  if (p.currentLeader !== undefined) p.currentLeader.leaderEpoch = segmentEpochToVirtual(last, p.currentLeader.leaderEpoch);
}
