// Transaction admin requests over several backends. ListTransactions asks every backend broker
// (each lists the transactions it coordinates), with producer id filters translated to each
// backend's real ids; a Turnout node lists the transactional ids it presents itself as the
// coordinator of. DescribeTransactions goes to each id's real coordinator on its domain
// backend, split per coordinator. Producer ids are shown as the virtual ids Turnout handed out,
// where it knows them.
import { ApiKey } from '../../codec/index.js';
import {
  createTransactionState,
  decodeDescribeTransactionsRequest,
  decodeDescribeTransactionsResponse,
  encodeDescribeTransactionsRequest,
  encodeDescribeTransactionsResponse,
  type TransactionState,
} from '../../codec/generated/describe-transactions.js';
import {
  createListTransactionsResponse,
  decodeListTransactionsRequest,
  decodeListTransactionsResponse,
  encodeListTransactionsRequest,
  encodeListTransactionsResponse,
  type ListTransactionsResponse,
} from '../../codec/generated/list-transactions.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { DestinationFailure } from '../split-route.js';
import { noteCoordinatorAnswer, scatterByCoordinator } from './coordinators.js';
import { parseDestination } from './destinations.js';
import { askEveryBroker, listedHere } from './every-broker.js';
import { COORDINATOR_NOT_AVAILABLE, KEY_TYPE_TRANSACTION } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { ThrottleTime } from './scatter-gather.js';

export async function listTransactions(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeListTransactionsRequest);
  const frameFor = (backend: string): Buffer | null => {
    if (body.producerIdFilters.length === 0) return encodeRequestFrame(header, body, encodeListTransactionsRequest);
    // Filters name virtual producers: a backend where none of them has a real id has nothing to list.
    const real = body.producerIdFilters.flatMap((id) => ctx.producerIds.realIdsOn(id, backend));
    return real.length === 0 ? null : encodeRequestFrame(header, { ...body, producerIdFilters: real }, encodeListTransactionsRequest);
  };
  const merged: ListTransactionsResponse = { ...createListTransactionsResponse(), unknownStateFilters: [], transactionStates: [] };
  const unknownStates = new Set<string>();
  const seen = new Set<string>();
  for (const { backend, answer } of await askEveryBroker(ctx, session, frameFor, ApiKey.ListTransactions, v, decodeListTransactionsResponse)) {
    if (answer instanceof DestinationFailure) {
      merged.errorCode = COORDINATOR_NOT_AVAILABLE;
      continue;
    }
    merged.throttleTimeMs = Math.max(merged.throttleTimeMs, answer.throttleTimeMs);
    if (answer.errorCode !== 0) merged.errorCode = answer.errorCode;
    for (const s of answer.unknownStateFilters) unknownStates.add(s);
    for (const t of answer.transactionStates) {
      if (seen.has(t.transactionalId) || !listedHere(ctx, session, backend, KEY_TYPE_TRANSACTION, t.transactionalId)) continue;
      seen.add(t.transactionalId);
      t.producerId = ctx.producerIds.toVirtual(backend, t.producerId, 0)?.producerId ?? t.producerId;
      merged.transactionStates.push(t);
    }
  }
  merged.unknownStateFilters = [...unknownStates];
  merged.transactionStates.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  return encodeResponseFrame(ApiKey.ListTransactions, v, { correlationId: ex.correlationId }, merged, encodeListTransactionsResponse);
}

export async function describeTransactions(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeTransactionsRequest);
  const throttle = new ThrottleTime();
  const refused = (transactionalId: string, errorCode: number): TransactionState => ({ ...createTransactionState(), transactionalId, errorCode });
  const transactionStates = await scatterByCoordinator(ctx, session, KEY_TYPE_TRANSACTION, body.transactionalIds, {
    refused,
    send: async (destination, transactionalIds) => {
      const { backend, brokerId } = parseDestination(destination);
      const frame = encodeRequestFrame(header, { ...body, transactionalIds }, encodeDescribeTransactionsRequest);
      const res = await ctx.send(session, ctx.addressOf(backend, brokerId), frame);
      const answer = decodeResponseFrame(res, ApiKey.DescribeTransactions, v, decodeDescribeTransactionsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.transactionStates.map((t): [string, TransactionState] => {
        noteCoordinatorAnswer(ctx, destination, KEY_TYPE_TRANSACTION, t.transactionalId, t.errorCode);
        const virtual = ctx.producerIds.toVirtual(backend, t.producerId, t.producerEpoch);
        if (virtual !== undefined) {
          t.producerId = virtual.producerId;
          t.producerEpoch = virtual.producerEpoch;
        }
        return [t.transactionalId, t];
      });
    },
  });
  return encodeResponseFrame(ApiKey.DescribeTransactions, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, transactionStates }, encodeDescribeTransactionsResponse);
}
