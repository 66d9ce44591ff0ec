// Topic administration, as the controller decides it. CreateTopics: CREATE on the cluster, or
// on each topic (TOPIC_AUTHORIZATION_FAILED "Authorization failed."); a created topic's configs
// are shown only with DESCRIBE_CONFIGS on it (else its config error is
// TOPIC_AUTHORIZATION_FAILED). DeleteTopics: DELETE on the cluster, or DELETE and DESCRIBE on
// each topic (TOPIC_AUTHORIZATION_FAILED; a topic named by id keeps its name in the answer
// only when the principal may describe it). CreatePartitions: ALTER on each topic. A name the
// request repeats is left to the backend, which refuses duplicates as a whole.
import { ApiKey, ZERO_UUID } from '../../../codec/index.js';
import { createCreatableTopicResult, type CreatableTopic, type CreatableTopicResult } from '../../../codec/generated/create-topics.js';
import type { CreatePartitionsTopic, CreatePartitionsTopicResult } from '../../../codec/generated/create-partitions.js';
import type { DeletableTopicResult, DeleteTopicState } from '../../../codec/generated/delete-topics.js';
import { UNKNOWN_TOPIC_ID } from '../../../routing/error-codes.js';
import { apiRule } from '../api-rule.js';
import { defaultErrorMessage, TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { topicError } from '../entry-errors.js';
import { splitEntries } from '../entry-split.js';
import type { RequestAuthorization } from '../request-authorization.js';

/** CreateTopics answers configs from v5; DeleteTopics names topics in `topics` (name or id) from v6. */
const FIRST_CONFIGS_VERSION = 5;
const FIRST_TOPIC_STATE_VERSION = 6;
const CREATE_DENIED_MESSAGE = 'Authorization failed.';

export const createTopicsRule = apiRule({
  apiKey: ApiKey.CreateTopics,
  checks: 'CREATE on the Cluster, else CREATE on each Topic (TOPIC_AUTHORIZATION_FAILED); configs shown with DESCRIBE_CONFIGS on the Topic',
  decide(req, call) {
    const clusterCreate = call.authz.allowedOnCluster('CREATE', false);
    const repeated = repeatedNames(req.topics.map((t) => t.name));
    const split = splitEntries<typeof ApiKey.CreateTopics, CreatableTopic, CreatableTopicResult>({
      entries: req.topics,
      errorOf: (t) => (clusterCreate || repeated.has(t.name) ? 0 : topicError(call.authz, 'CREATE', t.name)),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: (t, errorCode) => ({ ...createCreatableTopicResult(), name: t.name, errorCode, errorMessage: CREATE_DENIED_MESSAGE }),
      emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
      answerList: 'topics',
      requestKey: (t) => t.name,
      answerKey: (t) => t.name,
    });
    if (call.version < FIRST_CONFIGS_VERSION) return call.forwardOrDeny(split);
    return call.forwardOrDeny(split, (res) => {
      for (const t of res.topics) {
        if (t.errorCode !== 0 || call.authz.allowedQuietly('DESCRIBE_CONFIGS', 'TOPIC', t.name)) continue;
        t.configs = [];
        t.topicConfigErrorCode = TOPIC_AUTHORIZATION_FAILED;
      }
      return res;
    });
  },
});

export const deleteTopicsRule = apiRule({
  apiKey: ApiKey.DeleteTopics,
  checks: 'DELETE on the Cluster, else DELETE and DESCRIBE on each Topic (TOPIC_AUTHORIZATION_FAILED)',
  decide(req, call) {
    if (call.authz.allowedOnCluster('DELETE', false)) return { kind: 'forward' };
    const nameOf = (t: DeleteTopicState): string | undefined => (t.topicId === ZERO_UUID ? (t.name ?? undefined) : call.authz.topicNames.nameOf(t.topicId));
    const deniedAnswer = (t: DeleteTopicState, errorCode: number): DeletableTopicResult => ({
      name: t.topicId === ZERO_UUID || mayDescribe(call.authz, nameOf(t)) ? nameOf(t) ?? null : null,
      topicId: t.topicId,
      errorCode,
      errorMessage: defaultErrorMessage(errorCode),
    });
    const errorOf = (name: string | undefined): number =>
      name === undefined ? UNKNOWN_TOPIC_ID : call.authz.allowed('DELETE', 'TOPIC', name) && mayDescribe(call.authz, name) ? 0 : TOPIC_AUTHORIZATION_FAILED;
    const emptyResponse = () => ({ throttleTimeMs: 0, responses: [] });
    if (call.version < FIRST_TOPIC_STATE_VERSION) {
      return call.forwardOrDeny(
        splitEntries<typeof ApiKey.DeleteTopics, string, DeletableTopicResult>({
          entries: req.topicNames,
          errorOf,
          requestWith: (topicNames) => ({ ...req, topicNames }),
          deniedAnswer: (name, errorCode) => deniedAnswer({ name, topicId: ZERO_UUID }, errorCode),
          emptyResponse,
          answerList: 'responses',
          requestKey: (name) => name,
          answerKey: (r) => r.name ?? '',
        }),
      );
    }
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.DeleteTopics, DeleteTopicState, DeletableTopicResult>({
        entries: req.topics,
        errorOf: (t) => errorOf(nameOf(t)),
        requestWith: (topics) => ({ ...req, topics }),
        deniedAnswer,
        emptyResponse,
        answerList: 'responses',
        // An answer names its topic (a topic deleted by id too); only an unknown id has no name.
        requestKey: (t) => nameOf(t) ?? `id:${t.topicId}`,
        answerKey: (r) => r.name ?? `id:${r.topicId}`,
      }),
    );
  },
});

export const createPartitionsRule = apiRule({
  apiKey: ApiKey.CreatePartitions,
  checks: 'ALTER on each Topic (TOPIC_AUTHORIZATION_FAILED)',
  decide(req, call) {
    const repeated = repeatedNames(req.topics.map((t) => t.name));
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.CreatePartitions, CreatePartitionsTopic, CreatePartitionsTopicResult>({
        entries: req.topics,
        errorOf: (t) => (repeated.has(t.name) ? 0 : topicError(call.authz, 'ALTER', t.name)),
        requestWith: (topics) => ({ ...req, topics }),
        deniedAnswer: (t, errorCode) => ({ name: t.name, errorCode, errorMessage: null }),
        emptyResponse: () => ({ throttleTimeMs: 0, results: [] }),
        answerList: 'results',
        requestKey: (t) => t.name,
        answerKey: (t) => t.name,
      }),
    );
  },
});

function mayDescribe(authz: RequestAuthorization, name: string | undefined): boolean {
  return name !== undefined && authz.allowedQuietly('DESCRIBE', 'TOPIC', name);
}

/** Names the request gives more than once: the backend answers them INVALID_REQUEST whatever the ACLs say. */
function repeatedNames(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const n of names) (seen.has(n) ? repeated : seen).add(n);
  return repeated;
}
