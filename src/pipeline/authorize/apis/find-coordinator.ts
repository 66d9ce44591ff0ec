// FindCoordinator: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or on the transactional
// id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) whose coordinator is asked for; from v4 each key
// of the batch is decided on its own. Share coordinator keys (v6+) are for brokers and need
// CLUSTER_ACTION on the cluster; a key type Turnout does not know is INVALID_REQUEST.
import { ApiKey, createFindCoordinatorResponse } from '../../../codec/index.js';
import type { Coordinator } from '../../../codec/generated/find-coordinator.js';
import type { AclOperation, ResourceType } from '../../../policy/acl-model.js';
import { apiRule } from '../api-rule.js';
import {
  CLUSTER_AUTHORIZATION_FAILED,
  defaultErrorMessage,
  GROUP_AUTHORIZATION_FAILED,
  INVALID_REQUEST,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';
import type { RequestAuthorization } from '../request-authorization.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;
const SHARE_KEY = 2;
/** Key types from v1, batched keys from v4, share keys from v6. */
const FIRST_KEY_TYPE_VERSION = 1;
const FIRST_BATCHED_VERSION = 4;
const FIRST_SHARE_KEY_VERSION = 6;

const KEY_RESOURCES: ReadonlyMap<number, { resourceType: ResourceType; error: number }> = new Map([
  [GROUP_KEY, { resourceType: 'GROUP', error: GROUP_AUTHORIZATION_FAILED }],
  [TRANSACTION_KEY, { resourceType: 'TRANSACTIONAL_ID', error: TRANSACTIONAL_ID_AUTHORIZATION_FAILED }],
]);
const DESCRIBE: AclOperation = 'DESCRIBE';

export const findCoordinatorRule = apiRule({
  apiKey: ApiKey.FindCoordinator,
  checks:
    'DESCRIBE on the Group (GROUP_AUTHORIZATION_FAILED) or the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), per key from v4; ' +
    'share keys: CLUSTER_ACTION on the Cluster (CLUSTER_AUTHORIZATION_FAILED)',
  decide(req, call) {
    const v = call.version;
    const keyType = v >= FIRST_KEY_TYPE_VERSION ? req.keyType : GROUP_KEY;
    // Before v4 the one coordinator is the answer's top level; from v4 each key has its own.
    const answerAll = (errorCode: number, keys: readonly string[]) =>
      v < FIRST_BATCHED_VERSION
        ? { ...noCoordinator('', errorCode, defaultErrorMessage(errorCode)), throttleTimeMs: 0, coordinators: [] }
        : { ...createFindCoordinatorResponse(), coordinators: keys.map((key) => noCoordinator(key, errorCode, defaultErrorMessage(errorCode))) };
    if (keyType === SHARE_KEY) {
      if (v < FIRST_SHARE_KEY_VERSION) return call.answer(answerAll(INVALID_REQUEST, req.coordinatorKeys));
      return call.authz.allowedOnCluster('CLUSTER_ACTION') ? { kind: 'forward' } : call.answer(answerAll(CLUSTER_AUTHORIZATION_FAILED, req.coordinatorKeys));
    }
    const resource = KEY_RESOURCES.get(keyType);
    if (resource === undefined) return call.answer(answerAll(INVALID_REQUEST, req.coordinatorKeys));
    if (v < FIRST_BATCHED_VERSION) {
      const code = keyError(call.authz, resource, req.key);
      return code === 0 ? { kind: 'forward' } : call.answer(answerAll(code, []));
    }
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.FindCoordinator, string, Coordinator>({
        entries: req.coordinatorKeys,
        errorOf: (key) => keyError(call.authz, resource, key),
        requestWith: (coordinatorKeys) => ({ ...req, coordinatorKeys }),
        deniedAnswer: (key, errorCode) => noCoordinator(key, errorCode, null),
        emptyResponse: () => answerAll(0, []),
        answerList: 'coordinators',
        requestKey: (key) => key,
        answerKey: (c) => c.key,
      }),
    );
  },
});

function keyError(authz: RequestAuthorization, resource: { resourceType: ResourceType; error: number }, key: string): number {
  return authz.allowed(DESCRIBE, resource.resourceType, key) ? 0 : resource.error;
}

/** Kafka's Node.noNode with an error. */
function noCoordinator(key: string, errorCode: number, errorMessage: string | null): Coordinator {
  return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage };
}
