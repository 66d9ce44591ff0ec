// Transactional requests over several backends: InitProducerId (answered here for idempotent
// producers, sent to the transaction coordinator on the id's domain backend otherwise),
// AddPartitionsToTxn, AddOffsetsToTxn and EndTxn to the transaction coordinator,
// TxnOffsetCommit to the group coordinator; producer ids and epochs to real and back. A
// transaction whose partitions or group live on another backend is refused
// (INVALID_TXN_STATE), never split over two clusters.
//
// A transactional id's real producers are bound per binding key: its domain's backend in the
// domain's cutover era (producer-id-map.ts). After a cutover moved the domain, the first
// request of its producer on the new backend finds no binding there; the map then has Turnout
// initialise the id on that backend's transaction coordinator (`initTransactionalId`) and binds
// the answer behind the same virtual producer, before the request goes on.
import {
  ApiKey,
  createInitProducerIdRequest,
  decodeInitProducerIdRequest,
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
} from '../../codec/index.js';
import { decodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnResponse } from '../../codec/generated/add-offsets-to-txn.js';
import {
  createAddPartitionsToTxnRequest,
  createAddPartitionsToTxnResponse,
  decodeAddPartitionsToTxnRequest,
  decodeAddPartitionsToTxnResponse,
  encodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
  type AddPartitionsToTxnTopicResult,
} from '../../codec/generated/add-partitions-to-txn.js';
import { createEndTxnResponse, decodeEndTxnRequest, decodeEndTxnResponse, encodeEndTxnRequest, encodeEndTxnResponse } from '../../codec/generated/end-txn.js';
import { createTxnOffsetCommitResponse, decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse } from '../../codec/generated/txn-offset-commit.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { UpstreamError } from '../../net/upstream-connection.js';
import { COORDINATOR_LOAD_IN_PROGRESS, INVALID_TXN_STATE, REQUEST_TIMED_OUT } from '../error-codes.js';
import type { BrokerAddress } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { backendOfBindingKey } from '../offset-segments.js';
import { ProducerStoreError } from '../producer-binding-store.js';
import { ProducerMappingError, type ProducerIdAndEpoch } from '../producer-id-map.js';
import { retryUntil } from '../retry-until.js';
import type { TopicPartition } from '../transaction-partitions.js';
import { answerIdempotentInitProducerId, initProducerIdRequestToReal, initProducerIdResponseToVirtual } from '../producer-id-rewrite.js';
import { coordinatorCacheKey, coordinatorOf, isNotCoordinator, toCoordinator } from './coordinators.js';
import {
  CONCURRENT_TRANSACTIONS,
  COORDINATOR_NOT_AVAILABLE,
  KEY_TYPE_GROUP,
  KEY_TYPE_TRANSACTION,
  NOT_COORDINATOR,
  OPERATION_NOT_ATTEMPTED,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  TURNOUT_CLIENT_ID,
} from './multi-codes.js';
import type { MultiContext } from './multi-context.js';

/** A transaction the client must abort (KIP-890), which it can go on after. */
const TRANSACTION_ABORTABLE = 120;

/** A commit of a member its group does not know: the client aborts its transaction. */
const UNKNOWN_MEMBER_ID = 25;

/** EndTxn answers with the producer id and epoch from v5. */
const END_TXN_FIRST_PRODUCER_VERSION = 5;

/**
 * The real producer of a transactional request's virtual one under the transactional id's
 * binding key, or the error to answer with. A transactional producer is bound by its
 * InitProducerId, or by Turnout's own where its id's domain moved; one this instance does not
 * know is adopted from the binding store (a restart, or a peer's).
 */
async function transactionalProducerToReal(ctx: MultiContext, producerId: bigint, producerEpoch: number, key: string): Promise<ProducerIdAndEpoch | number> {
  try {
    return await ctx.producerIds.toReal(producerId, producerEpoch, key, true);
  } catch (err) {
    if (err instanceof ProducerMappingError) return err.errorCode;
    if (err instanceof ProducerStoreError) return COORDINATOR_NOT_AVAILABLE;
    throw err;
  }
}

export async function initProducerId(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeInitProducerIdRequest);
  const answer = (errorCode: number): Buffer =>
    encodeResponseFrame(ApiKey.InitProducerId, v, { correlationId: ex.correlationId }, { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }, encodeInitProducerIdResponse);
  const transactionalId = body.transactionalId;
  if (transactionalId === null) {
    const m = answerIdempotentInitProducerId(ctx.producerIds);
    return encodeResponseFrame(ApiKey.InitProducerId, v, { correlationId: ex.correlationId }, m, encodeInitProducerIdResponse);
  }
  const res = ctx.policy().resolve('transactionalId', transactionalId);
  if (!res.ok) return answer(res.errorCode);
  const backend = res.domain.backend;
  if (!ctx.topologies.has(backend)) return answer(COORDINATOR_NOT_AVAILABLE);
  const key = ctx.producerKeyOf(backend, res.domain);
  ctx.transactionPartitions.ended(transactionalId);
  const err = await initProducerIdRequestToReal(body, v, key, ctx.producerIds);
  if (err !== 0) return answer(err);
  const frame = await toCoordinator(ctx, session, ex, backend, KEY_TYPE_TRANSACTION, transactionalId, encodeRequestFrame(header, body, encodeInitProducerIdRequest), () =>
    answer(COORDINATOR_NOT_AVAILABLE),
  );
  const decoded = decodeResponseFrame(frame, ApiKey.InitProducerId, v, decodeInitProducerIdResponse);
  await initProducerIdResponseToVirtual(decoded.body, transactionalId, key, ctx.producerIds, body.transactionTimeoutMs);
  return encodeResponseFrame(ApiKey.InitProducerId, v, decoded.header, decoded.body, encodeInitProducerIdResponse);
}

export async function addPartitionsToTxn(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeAddPartitionsToTxnRequest);
  const answerAll = (codeOf: (topic: string) => number): Buffer => {
    const m = createAddPartitionsToTxnResponse();
    m.resultsByTopicV3AndBelow = body.v3AndBelowTopics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name) })),
    }));
    return encodeResponseFrame(ApiKey.AddPartitionsToTxn, v, { correlationId: ex.correlationId }, m, encodeAddPartitionsToTxnResponse);
  };
  const transactionalId = body.v3AndBelowTransactionalId;
  const backend = ctx.backendOfKey(KEY_TYPE_TRANSACTION, transactionalId);
  if (backend === undefined) return answerAll(() => TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const policy = ctx.policy();
  const elsewhere = body.v3AndBelowTopics.filter((t) => ctx.backendOfTopic(t.name, policy) !== backend).map((t) => t.name);
  if (elsewhere.length > 0) {
    ctx.log.warn({ transactionalId, backend, topics: elsewhere }, 'a transaction spans backends: refused');
    const refused = new Set(elsewhere);
    return answerAll((topic) => (refused.has(topic) ? INVALID_TXN_STATE : OPERATION_NOT_ATTEMPTED));
  }
  const key = ctx.transactionalKeyOf(transactionalId) ?? backend;
  const real = await transactionalProducerToReal(ctx, body.v3AndBelowProducerId, body.v3AndBelowProducerEpoch, key);
  if (typeof real === 'number') return answerAll(() => real);
  body.v3AndBelowProducerId = real.producerId;
  body.v3AndBelowProducerEpoch = real.producerEpoch;
  const frame = await toCoordinator(ctx, session, ex, backend, KEY_TYPE_TRANSACTION, transactionalId, encodeRequestFrame(header, body, encodeAddPartitionsToTxnRequest), () =>
    answerAll(() => COORDINATOR_NOT_AVAILABLE),
  );
  const answered = decodeResponseFrame(frame, ApiKey.AddPartitionsToTxn, v, decodeAddPartitionsToTxnResponse).body;
  ctx.transactionPartitions.added(transactionalId, key, addedPartitions(answered.resultsByTopicV3AndBelow));
  return frame;
}

/** The partitions an AddPartitionsToTxn answer says were added. */
function addedPartitions(results: readonly AddPartitionsToTxnTopicResult[]): TopicPartition[] {
  const added: TopicPartition[] = [];
  for (const t of results) for (const p of t.resultsByPartition) if (p.partitionErrorCode === 0) added.push({ topic: t.name, partition: p.partitionIndex });
  return added;
}

export async function addOffsetsToTxn(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeAddOffsetsToTxnRequest);
  ctx.noteTransactionalGroup(body.transactionalId, body.groupId);
  const answer = (errorCode: number): Buffer =>
    encodeResponseFrame(ApiKey.AddOffsetsToTxn, v, { correlationId: ex.correlationId }, { throttleTimeMs: 0, errorCode }, encodeAddOffsetsToTxnResponse);
  const backend = ctx.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId);
  if (backend === undefined) return answer(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (ctx.backendOfKey(KEY_TYPE_GROUP, body.groupId) !== backend) {
    ctx.log.warn({ transactionalId: body.transactionalId, groupId: body.groupId, backend }, 'a transaction commits offsets of a group on another backend: refused');
    return answer(INVALID_TXN_STATE);
  }
  const key = ctx.transactionalKeyOf(body.transactionalId) ?? backend;
  const real = await transactionalProducerToReal(ctx, body.producerId, body.producerEpoch, key);
  if (typeof real === 'number') return answer(real);
  body.producerId = real.producerId;
  body.producerEpoch = real.producerEpoch;
  // Noted before the answer: a cutover's hold must know at once that this transaction ends where its offsets go.
  ctx.transactionPartitions.offsetsAdded(body.transactionalId, key);
  return toCoordinator(ctx, session, ex, backend, KEY_TYPE_TRANSACTION, body.transactionalId, encodeRequestFrame(header, body, encodeAddOffsetsToTxnRequest), () =>
    answer(COORDINATOR_NOT_AVAILABLE),
  );
}

export async function endTxn(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeEndTxnRequest);
  const answer = (errorCode: number): Buffer => {
    const m = createEndTxnResponse();
    m.errorCode = errorCode;
    return encodeResponseFrame(ApiKey.EndTxn, v, { correlationId: ex.correlationId }, m, encodeEndTxnResponse);
  };
  const backend = ctx.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId);
  if (backend === undefined) return answer(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const key = ctx.transactionalKeyOf(body.transactionalId) ?? backend;
  // Its offsets went where its domain was before a cutover, which aborted it there (cutover-coordinator.ts).
  const abortedByCutover = (ctx.transactionPartitions.offsetsAddedUnder(body.transactionalId) ?? key) !== key;
  if (abortedByCutover && body.committed) return answer(TRANSACTION_ABORTABLE);
  const real = await transactionalProducerToReal(ctx, body.producerId, body.producerEpoch, key);
  if (typeof real === 'number') return answer(real);
  body.producerId = real.producerId;
  body.producerEpoch = real.producerEpoch;
  ctx.transactionPartitions.ended(body.transactionalId);
  const frame = await toCoordinator(ctx, session, ex, backend, KEY_TYPE_TRANSACTION, body.transactionalId, encodeRequestFrame(header, body, encodeEndTxnRequest), () =>
    answer(COORDINATOR_NOT_AVAILABLE),
  );
  // Its abort where it goes on finds no transaction there when none of its records got there: aborted all the same.
  if (abortedByCutover && decodeResponseFrame(frame, ApiKey.EndTxn, v, decodeEndTxnResponse).body.errorCode === INVALID_TXN_STATE) return answer(0);
  if (v < END_TXN_FIRST_PRODUCER_VERSION) return frame;
  // From v5 the answer carries the producer (KIP-890): back to the virtual one.
  const decoded = decodeResponseFrame(frame, ApiKey.EndTxn, v, decodeEndTxnResponse);
  const virtual = ctx.producerIds.toVirtual(backend, decoded.body.producerId, decoded.body.producerEpoch);
  if (virtual !== undefined) {
    decoded.body.producerId = virtual.producerId;
    decoded.body.producerEpoch = virtual.producerEpoch;
  }
  return encodeResponseFrame(ApiKey.EndTxn, v, decoded.header, decoded.body, encodeEndTxnResponse);
}

export async function txnOffsetCommit(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const { header, body } = decodeRequestFrame(ex.frame, decodeTxnOffsetCommitRequest);
  ctx.noteTransactionalGroup(body.transactionalId, body.groupId);
  const backend = ctx.backendOfKey(KEY_TYPE_GROUP, body.groupId);
  if (backend === undefined || ctx.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId) !== backend) return ctx.failureFrame(ex);
  const key = ctx.transactionalKeyOf(body.transactionalId) ?? backend;
  if ((ctx.transactionPartitions.offsetsAddedUnder(body.transactionalId) ?? key) !== key) {
    // The transaction added its offsets where its domain was before a cutover, which aborted it
    // there: refused as a commit of a member the group no longer has, which a client answers by
    // aborting the transaction and reading its records again.
    ctx.log.info({ transactionalId: body.transactionalId, groupId: body.groupId }, 'offsets of a transaction that a cutover aborted: refused');
    const m = createTxnOffsetCommitResponse();
    m.topics = body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: UNKNOWN_MEMBER_ID })) }));
    return encodeResponseFrame(ApiKey.TxnOffsetCommit, ex.apiVersion, { correlationId: ex.correlationId }, m, encodeTxnOffsetCommitResponse);
  }
  const real = await transactionalProducerToReal(ctx, body.producerId, body.producerEpoch, key);
  if (typeof real === 'number') return ctx.failureFrame(ex);
  body.producerId = real.producerId;
  body.producerEpoch = real.producerEpoch;
  return toCoordinator(ctx, session, ex, backend, KEY_TYPE_GROUP, body.groupId, encodeRequestFrame(header, body, encodeTxnOffsetCommitRequest));
}

/** What an InitProducerId of Turnout's own answers while a broker or coordinator gets ready: a fresh broker has not fetched its block of producer ids from the controller yet (COORDINATOR_LOAD_IN_PROGRESS); a coordinator moves; a transactional id still ends a transaction (CONCURRENT_TRANSACTIONS). */
const INIT_PRODUCER_ID_RETRIABLE: ReadonlySet<number> = new Set([COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, REQUEST_TIMED_OUT, CONCURRENT_TRANSACTIONS]);

/** An InitProducerId answer with an error, kept apart so that the passing ones are retried. */
export class InitProducerIdError extends Error {
  constructor(
    readonly backend: string,
    readonly errorCode: number,
  ) {
    super(`InitProducerId on ${backend} answered error ${errorCode}`);
    this.name = 'InitProducerIdError';
  }
}

/** True for a failure of Turnout's own InitProducerId that another attempt may not meet. */
export function initProducerIdRetriable(err: unknown): boolean {
  return err instanceof UpstreamError || (err instanceof InitProducerIdError && INIT_PRODUCER_ID_RETRIABLE.has(err.errorCode));
}

/**
 * Turnout's own InitProducerId on `backend` (for `transactionalId`, or none), sent on its own
 * session to the broker `where` names, retried while the answer is a passing error (for up to
 * 10 s, well inside a client's request timeout).
 */
async function ownInitProducerId(
  ctx: MultiContext,
  backend: string,
  transactionalId: string | null,
  transactionTimeoutMs: number,
  where: (session: ClientSession) => Promise<BrokerAddress>,
  onNotCoordinator: () => void = () => undefined,
): Promise<ProducerIdAndEpoch> {
  const session = ctx.ownSession;
  if (session === null) throw new Error('no session for Turnout requests');
  const range = ctx.topologies.get(backend)?.apiVersions.range(ApiKey.InitProducerId);
  if (range === undefined) throw new Error(`backend ${backend} does not support InitProducerId`);
  const v = Math.min(range.maxVersion, 4);
  const req = createInitProducerIdRequest();
  req.transactionalId = transactionalId;
  req.transactionTimeoutMs = transactionTimeoutMs;
  req.producerId = -1n;
  req.producerEpoch = -1;
  const frame = encodeRequestFrame({ apiKey: ApiKey.InitProducerId, apiVersion: v, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, req, encodeInitProducerIdRequest);
  return retryUntil(
    async (attempt) => {
      // The frame's correlation id is rewritten in place when sent: each attempt sends a copy.
      const res = await ctx.send(session, await where(session), Buffer.from(frame));
      const answer = decodeResponseFrame(res, ApiKey.InitProducerId, v, decodeInitProducerIdResponse).body;
      if (answer.errorCode !== 0) {
        if (attempt === 1) ctx.log.info({ backend, transactionalId, errorCode: answer.errorCode }, 'InitProducerId of Turnout answered an error; trying again');
        if (isNotCoordinator(answer.errorCode)) onNotCoordinator();
        throw new InitProducerIdError(backend, answer.errorCode);
      }
      return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
    },
    { deadlineMs: 10_000, initialDelayMs: 50, maxDelayMs: 1_000, retriable: initProducerIdRetriable },
  );
}

/**
 * A real idempotent producer id on `backend`, for a virtual producer's first batch there. A
 * passing error is retried rather than answered: the batches waiting for this id would fail,
 * and a later batch of the same partition sent once an id is obtained would be accepted by the
 * broker (a producer id it has never seen takes any sequence), leaving a gap the client could
 * never fill.
 */
export function obtainProducerId(ctx: MultiContext, backend: string): Promise<ProducerIdAndEpoch> {
  return ownInitProducerId(ctx, backend, null, -1, () => Promise.resolve(ctx.anyBrokerOf(backend)));
}

/**
 * A transactional id initialised on `backend`'s transaction coordinator, for a producer whose
 * id's domain a cutover moved there: the real producer to bind behind its virtual one. The
 * coordinator is found as for a client's request, and forgotten when it answers that it is
 * not (or cannot be found, which is retried the same way).
 */
export function initTransactionalId(ctx: MultiContext, transactionalId: string, backend: string, transactionTimeoutMs: number): Promise<ProducerIdAndEpoch> {
  const forget = (): void => {
    ctx.coordinators.delete(coordinatorCacheKey(backend, KEY_TYPE_TRANSACTION, transactionalId));
  };
  const coordinator = async (session: ClientSession): Promise<BrokerAddress> => {
    try {
      return ctx.addressOf(backend, await coordinatorOf(ctx, session, backend, KEY_TYPE_TRANSACTION, transactionalId));
    } catch {
      forget();
      throw new InitProducerIdError(backend, COORDINATOR_NOT_AVAILABLE);
    }
  };
  return ownInitProducerId(ctx, backend, transactionalId, transactionTimeoutMs, coordinator, forget);
}

/** The last version of AddPartitionsToTxn a client sends (v4+ are for brokers). */
const ADD_PARTITIONS_CLIENT_MAX_VERSION = 3;

/** Turnout's own AddPartitionsToTxn was refused. */
export class CarryTransactionError extends Error {
  constructor(
    readonly transactionalId: string,
    readonly backend: string,
    readonly errorCode: number,
  ) {
    super(`adding the partitions of transactional id ${transactionalId} on ${backend} answered error ${errorCode}`);
    this.name = 'CarryTransactionError';
  }
}

/**
 * Adds `partitions` to `transactionalId`'s transaction under binding `key` (on its backend's
 * coordinator), as its real
 * producer `real` there: partitions the client added to its transaction on the backend its
 * domain left, before a cutover held and moved its Produce (transaction-partitions.ts).
 * Retried like Turnout's own InitProducerId while the answer is a passing error.
 */
export async function carryTransactionPartitions(ctx: MultiContext, transactionalId: string, key: string, real: ProducerIdAndEpoch, partitions: readonly TopicPartition[]): Promise<void> {
  const backend = backendOfBindingKey(key);
  const session = ctx.ownSession;
  if (session === null) throw new Error('no session for Turnout requests');
  const range = ctx.topologies.get(backend)?.apiVersions.range(ApiKey.AddPartitionsToTxn);
  if (range === undefined) throw new Error(`backend ${backend} does not support AddPartitionsToTxn`);
  const v = Math.min(range.maxVersion, ADD_PARTITIONS_CLIENT_MAX_VERSION);
  const req = createAddPartitionsToTxnRequest();
  req.v3AndBelowTransactionalId = transactionalId;
  req.v3AndBelowProducerId = real.producerId;
  req.v3AndBelowProducerEpoch = real.producerEpoch;
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    const list = byTopic.get(p.topic);
    if (list === undefined) byTopic.set(p.topic, [p.partition]);
    else if (!list.includes(p.partition)) list.push(p.partition);
  }
  req.v3AndBelowTopics = [...byTopic].map(([name, ps]) => ({ name, partitions: ps }));
  const frame = encodeRequestFrame({ apiKey: ApiKey.AddPartitionsToTxn, apiVersion: v, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, req, encodeAddPartitionsToTxnRequest);
  const forget = (): void => {
    ctx.coordinators.delete(coordinatorCacheKey(backend, KEY_TYPE_TRANSACTION, transactionalId));
  };
  await retryUntil(
    async () => {
      let address: BrokerAddress;
      try {
        address = ctx.addressOf(backend, await coordinatorOf(ctx, session, backend, KEY_TYPE_TRANSACTION, transactionalId));
      } catch {
        forget();
        throw new CarryTransactionError(transactionalId, backend, COORDINATOR_NOT_AVAILABLE);
      }
      const res = await ctx.send(session, address, Buffer.from(frame));
      const answer = decodeResponseFrame(res, ApiKey.AddPartitionsToTxn, v, decodeAddPartitionsToTxnResponse).body;
      for (const t of answer.resultsByTopicV3AndBelow) {
        for (const p of t.resultsByPartition) {
          if (p.partitionErrorCode === 0 || p.partitionErrorCode === OPERATION_NOT_ATTEMPTED) continue;
          if (isNotCoordinator(p.partitionErrorCode)) forget();
          throw new CarryTransactionError(transactionalId, backend, p.partitionErrorCode);
        }
      }
    },
    {
      deadlineMs: 10_000,
      initialDelayMs: 50,
      maxDelayMs: 1_000,
      retriable: (err) => err instanceof UpstreamError || (err instanceof CarryTransactionError && INIT_PRODUCER_ID_RETRIABLE.has(err.errorCode)),
    },
  );
  ctx.transactionPartitions.added(transactionalId, key, partitions);
}
