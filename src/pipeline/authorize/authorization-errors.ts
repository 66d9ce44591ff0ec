// The Kafka error codes an authorization decision answers with, and the default messages a
// broker puts beside them where a response has an error message field (Kafka's `Errors`).
// The comment says what a client does with each.

/** The principal may not act on the topic. Fatal for the operation (TopicAuthorizationException). */
export const TOPIC_AUTHORIZATION_FAILED = 29;
/** The principal may not act on the group. Fatal for the consumer's group operations. */
export const GROUP_AUTHORIZATION_FAILED = 30;
/** The principal may not perform a cluster-level operation. */
export const CLUSTER_AUTHORIZATION_FAILED = 31;
/** A request whose content cannot be decided on (an unknown resource or coordinator type). */
export const INVALID_REQUEST = 42;
/** The principal may not use the transactional id. Fatal for the transactional producer. */
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
/** No authorizer is configured: the ACL apis answer this. */
export const SECURITY_DISABLED = 54;
/** Part of a batched operation failed, so the rest was not attempted (AddPartitionsToTxn). */
export const OPERATION_NOT_ATTEMPTED = 55;
/** Delegation tokens are not available: Turnout neither issues nor accepts them. */
export const DELEGATION_TOKEN_AUTH_DISABLED = 61;
/** An unknown resource type in a config request, as a broker answers it. */
export const UNSUPPORTED_VERSION = 35;

const MESSAGES: ReadonlyMap<number, string> = new Map([
  [TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'],
  [GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.'],
  [CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.'],
  [
    INVALID_REQUEST,
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
  ],
  [TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.'],
  [SECURITY_DISABLED, 'Security features are disabled.'],
  [DELEGATION_TOKEN_AUTH_DISABLED, 'Delegation Token feature is not enabled.'],
  [UNSUPPORTED_VERSION, 'The version of API is not supported.'],
]);

/** The message a broker sends with `code` when it has nothing more specific to say. */
export function defaultErrorMessage(code: number): string | null {
  return MESSAGES.get(code) ?? null;
}
