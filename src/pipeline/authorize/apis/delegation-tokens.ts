// Delegation tokens are refused with DELEGATION_TOKEN_AUTH_DISABLED, as a broker without the
// token feature answers. Turnout neither issues tokens nor accepts them at login, and a
// backend would issue one to Turnout's own backend principal, letting a client reach the
// backend directly as Turnout: such a request must never be forwarded.
import { ApiKey } from '../../../codec/index.js';
import { apiRule } from '../api-rule.js';
import { DELEGATION_TOKEN_AUTH_DISABLED } from '../authorization-errors.js';

const CHECKS = 'refused: DELEGATION_TOKEN_AUTH_DISABLED (Turnout neither issues nor accepts delegation tokens)';
/** CreateDelegationToken answers who asked from v3. */
const FIRST_REQUESTER_VERSION = 3;
/** Kafka's DelegationTokenManager.ErrorTimestamp. */
const NO_TIMESTAMP = -1n;

export const createDelegationTokenRule = apiRule({
  apiKey: ApiKey.CreateDelegationToken,
  checks: CHECKS,
  decide(req, call) {
    const requester = call.authz.principal;
    const ownerGiven = req.ownerPrincipalName !== null && req.ownerPrincipalName !== '';
    return call.answer({
      errorCode: DELEGATION_TOKEN_AUTH_DISABLED,
      principalType: ownerGiven ? (req.ownerPrincipalType ?? 'User') : requester.type,
      principalName: ownerGiven ? (req.ownerPrincipalName ?? '') : requester.name,
      tokenRequesterPrincipalType: call.version >= FIRST_REQUESTER_VERSION ? requester.type : '',
      tokenRequesterPrincipalName: call.version >= FIRST_REQUESTER_VERSION ? requester.name : '',
      issueTimestampMs: NO_TIMESTAMP,
      expiryTimestampMs: NO_TIMESTAMP,
      maxTimestampMs: NO_TIMESTAMP,
      tokenId: '',
      hmac: Buffer.alloc(0),
      throttleTimeMs: 0,
    });
  },
});

export const renewDelegationTokenRule = apiRule({
  apiKey: ApiKey.RenewDelegationToken,
  checks: CHECKS,
  decide: (_req, call) => call.answer({ errorCode: DELEGATION_TOKEN_AUTH_DISABLED, expiryTimestampMs: NO_TIMESTAMP, throttleTimeMs: 0 }),
});

export const expireDelegationTokenRule = apiRule({
  apiKey: ApiKey.ExpireDelegationToken,
  checks: CHECKS,
  decide: (_req, call) => call.answer({ errorCode: DELEGATION_TOKEN_AUTH_DISABLED, expiryTimestampMs: NO_TIMESTAMP, throttleTimeMs: 0 }),
});

export const describeDelegationTokenRule = apiRule({
  apiKey: ApiKey.DescribeDelegationToken,
  checks: CHECKS,
  decide: (_req, call) => call.answer({ errorCode: DELEGATION_TOKEN_AUTH_DISABLED, tokens: [], throttleTimeMs: 0 }),
});
