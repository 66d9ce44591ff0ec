// Helpers for the apis whose entries are topics or groups: the name a topic entry stands for
// (by name, or by topic id from the version that uses ids), and the error an entry is denied with.
import { UNKNOWN_TOPIC_ID } from '../../routing/error-codes.js';
import type { AclOperation } from '../../policy/acl-model.js';
import { GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED } from './authorization-errors.js';
import type { RequestAuthorization } from './request-authorization.js';

/** A topic entry's name: its own before `firstIdVersion`, what its id names from then on (undefined when unknown). */
export function topicNameOf(
  entry: { readonly topicId: string },
  name: string | null,
  version: number,
  firstIdVersion: number,
  authz: RequestAuthorization,
): string | undefined {
  if (version < firstIdVersion) return name ?? undefined;
  return authz.topicNames.nameOf(entry.topicId);
}

/**
 * The error for a topic the principal wants `operation` on: 0 when allowed,
 * TOPIC_AUTHORIZATION_FAILED when not, UNKNOWN_TOPIC_ID when its id names no topic Turnout
 * knows (a broker's answer to an id it does not know).
 */
export function topicError(authz: RequestAuthorization, operation: AclOperation, name: string | undefined): number {
  if (name === undefined) return UNKNOWN_TOPIC_ID;
  return authz.allowed(operation, 'TOPIC', name) ? 0 : TOPIC_AUTHORIZATION_FAILED;
}

/** 0 when the principal may perform `operation` on the group, else GROUP_AUTHORIZATION_FAILED. */
export function groupError(authz: RequestAuthorization, operation: AclOperation, groupId: string): number {
  return authz.allowed(operation, 'GROUP', groupId) ? 0 : GROUP_AUTHORIZATION_FAILED;
}
