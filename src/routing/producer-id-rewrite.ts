// Producer ids in the messages that carry them besides record batches, translated between
// the client's virtual producers and one backend's real ones with a ProducerIdMap. Batches
// are rewritten by `ProducerIdMap.prepareBatches` / `rewriteBatchesToReal`.
//
// Real producer ids Turnout mapped nothing to (producers that write to the backend directly)
// are shown as they are: there is no virtual producer they could be confused with, as virtual
// ids lie above 2^40.
import {
  createInitProducerIdResponse,
  type DescribeProducersResponse,
  type DescribeTransactionsResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  type ListTransactionsRequest,
  type ListTransactionsResponse,
} from '../codec/index.js';
import { INVALID_PRODUCER_EPOCH, PRODUCER_FENCED } from './error-codes.js';
import { COORDINATOR_NOT_AVAILABLE } from './failure-responses.js';
import { ProducerStoreError } from './producer-binding-store.js';
import { ProducerMappingError, type ProducerIdMap } from './producer-id-map.js';

/** InitProducerId carries the producer's current id and epoch from v3 (KIP-360). */
const INIT_FIRST_EXISTING_PRODUCER_VERSION = 3;
/** PRODUCER_FENCED is answered from InitProducerId v4 (KIP-588); older versions get INVALID_PRODUCER_EPOCH. */
const INIT_FIRST_PRODUCER_FENCED_VERSION = 4;

/** Turnout's own answer to an InitProducerId without transactional id. */
export function answerIdempotentInitProducerId(producerIds: ProducerIdMap): InitProducerIdResponse {
  const res = createInitProducerIdResponse();
  const virtual = producerIds.newIdempotent();
  res.producerId = virtual.producerId;
  res.producerEpoch = virtual.producerEpoch;
  return res;
}

/**
 * A transactional InitProducerId to the real producer bound under `key` (its domain's
 * backend and era), in place. Resolves to 0, or the
 * error code to answer it with (a stale producer of the transactional id is fenced; a binding
 * store that cannot be read gets a retriable COORDINATOR_NOT_AVAILABLE).
 */
export async function initProducerIdRequestToReal(req: InitProducerIdRequest, version: number, key: string, producerIds: ProducerIdMap): Promise<number> {
  if (version < INIT_FIRST_EXISTING_PRODUCER_VERSION || req.transactionalId === null) return 0;
  try {
    const real = await producerIds.initRequestToReal(req.transactionalId, key, req.producerId, req.producerEpoch);
    req.producerId = real.producerId;
    req.producerEpoch = real.producerEpoch;
    return 0;
  } catch (err) {
    if (err instanceof ProducerStoreError) return COORDINATOR_NOT_AVAILABLE;
    if (!(err instanceof ProducerMappingError)) throw err;
    return err.errorCode === PRODUCER_FENCED && version < INIT_FIRST_PRODUCER_FENCED_VERSION ? INVALID_PRODUCER_EPOCH : err.errorCode;
  }
}

/**
 * The coordinator's answer to a transactional InitProducerId, to the virtual producer, in
 * place, once the binding is stored. A binding store that cannot write turns the answer into
 * a retriable COORDINATOR_NOT_AVAILABLE: the client retries with the producer it had, which the
 * coordinator takes as a retry of the same initialisation.
 */
export async function initProducerIdResponseToVirtual(
  res: InitProducerIdResponse,
  transactionalId: string,
  key: string,
  producerIds: ProducerIdMap,
  transactionTimeoutMs?: number,
): Promise<void> {
  if (res.errorCode !== 0) return;
  try {
    const virtual = await producerIds.bindTransactional(transactionalId, key, { producerId: res.producerId, producerEpoch: res.producerEpoch }, transactionTimeoutMs);
    res.producerId = virtual.producerId;
    res.producerEpoch = virtual.producerEpoch;
  } catch (err) {
    if (!(err instanceof ProducerStoreError)) throw err;
    res.errorCode = COORDINATOR_NOT_AVAILABLE;
    res.producerId = -1n;
    res.producerEpoch = -1;
  }
}

/** A DescribeProducers answer from `backend`: every active producer Turnout maps, to virtual, in place. */
export function describeProducersResponseToVirtual(res: DescribeProducersResponse, backend: string, producerIds: ProducerIdMap): void {
  for (const t of res.topics) {
    for (const p of t.partitions) {
      for (const s of p.activeProducers) {
        const virtual = producerIds.toVirtual(backend, s.producerId, s.producerEpoch);
        if (virtual === undefined) continue;
        s.producerId = virtual.producerId;
        s.producerEpoch = virtual.producerEpoch;
      }
    }
  }
}

/** A DescribeTransactions answer from `backend`'s coordinator, to virtual producers, in place. */
export function describeTransactionsResponseToVirtual(res: DescribeTransactionsResponse, backend: string, producerIds: ProducerIdMap): void {
  for (const s of res.transactionStates) {
    const virtual = producerIds.toVirtual(backend, s.producerId, s.producerEpoch);
    if (virtual === undefined) continue;
    s.producerId = virtual.producerId;
    s.producerEpoch = virtual.producerEpoch;
  }
}

/** ListTransactions' producer id filter to `backend`'s real ids, in place (unknown ids kept; a producer with a real id there in several eras filters by all of them). */
export function listTransactionsRequestToReal(req: ListTransactionsRequest, backend: string, producerIds: ProducerIdMap): void {
  req.producerIdFilters = req.producerIdFilters.flatMap((id) => {
    const real = producerIds.realIdsOn(id, backend);
    return real.length === 0 ? [id] : real;
  });
}

/** A ListTransactions answer from `backend`'s coordinator, to virtual producer ids, in place. */
export function listTransactionsResponseToVirtual(res: ListTransactionsResponse, backend: string, producerIds: ProducerIdMap): void {
  for (const s of res.transactionStates) {
    const virtual = producerIds.toVirtual(backend, s.producerId, -1);
    if (virtual !== undefined) s.producerId = virtual.producerId;
  }
}
