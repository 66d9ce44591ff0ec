// DescribeTransactions: DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// per id), and a described transaction shows only the topics the principal may describe.
// ListTransactions shows only the transactional ids the principal may describe (never an error).
import { ApiKey } from '../../../codec/index.js';
import { createTransactionState, type TransactionState } from '../../../codec/generated/describe-transactions.js';
import { apiRule } from '../api-rule.js';
import { TRANSACTIONAL_ID_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';

export const describeTransactionsRule = apiRule({
  apiKey: ApiKey.DescribeTransactions,
  checks: 'DESCRIBE on each TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED per id); topics shown with DESCRIBE on the Topic',
  decide(req, call) {
    const split = splitEntries<typeof ApiKey.DescribeTransactions, string, TransactionState>({
      entries: req.transactionalIds,
      errorOf: (id) => (call.authz.allowed('DESCRIBE', 'TRANSACTIONAL_ID', id) ? 0 : TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      requestWith: (transactionalIds) => ({ ...req, transactionalIds }),
      deniedAnswer: (transactionalId, errorCode) => ({ ...createTransactionState(), transactionalId, errorCode }),
      emptyResponse: () => ({ throttleTimeMs: 0, transactionStates: [] }),
      answerList: 'transactionStates',
      requestKey: (id) => id,
      answerKey: (s) => s.transactionalId,
    });
    return call.forwardOrDeny(split, (res) => {
      for (const s of res.transactionStates) s.topics = s.topics.filter((t) => call.authz.allowedQuietly('DESCRIBE', 'TOPIC', t.topic));
      return res;
    });
  },
});

export const listTransactionsRule = apiRule({
  apiKey: ApiKey.ListTransactions,
  checks: 'shows only the TransactionalIds it may DESCRIBE (no error)',
  decide(_req, call) {
    return call.forward(undefined, (res) => ({
      ...res,
      transactionStates: res.transactionStates.filter((s) => call.authz.allowedQuietly('DESCRIBE', 'TRANSACTIONAL_ID', s.transactionalId)),
    }));
  },
});
