// Metadata: DESCRIBE on each topic. An all-topics answer leaves out the topics the principal
// may not describe; a named one answers them with TOPIC_AUTHORIZATION_FAILED and a zero topic
// id (their existence is not disclosed: they are never asked of the backend). Auto-creation
// needs CREATE on the cluster or on the topic: when a named topic the principal may describe
// but not create is asked for, the request goes on with auto-creation off, and that topic, if
// it does not exist, is answered TOPIC_AUTHORIZATION_FAILED instead of being created. Before
// v4 auto-creation cannot be turned off, so such a topic is answered TOPIC_AUTHORIZATION_FAILED
// whether it exists or not. A topic asked for by id (v12+) is answered with its id and no name
// when the principal may not describe it. The authorized-operations fields (v8+) are Turnout's
// decisions. Every answer teaches the ACL filter the topic ids clients use.
import { ApiKey, ZERO_UUID, type MetadataRequest, type MetadataResponse } from '../../../codec/index.js';
import { createMetadataResponseTopic, type MetadataRequestTopic, type MetadataResponseTopic } from '../../../codec/generated/metadata.js';
import { CLUSTER_RESOURCE_NAME } from '../../../policy/acl-model.js';
import { UNKNOWN_TOPIC_OR_PARTITION } from '../../../routing/error-codes.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../../../routing/multi/multi-codes.js';
import type { ApiCall } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import { TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { isInternalTopic } from '../internal-topics.js';
import type { LearnedTopicNames } from '../topic-names.js';

/** allowAutoTopicCreation exists from v4; authorized operations from v8 (the cluster's until v10). */
const FIRST_AUTO_CREATE_FLAG_VERSION = 4;
const FIRST_AUTHORIZED_OPERATIONS_VERSION = 8;
const LAST_CLUSTER_OPERATIONS_VERSION = 10;

type Call = ApiCall<typeof ApiKey.Metadata>;

/** What becomes of one topic the client named. */
type Fate = 'forward' | 'describe-denied' | 'create-denied' | 'forward-no-create';

export function metadataRule(learned: LearnedTopicNames) {
  return apiRule({
    apiKey: ApiKey.Metadata,
    checks:
      'DESCRIBE on each Topic (all topics: left out; named: TOPIC_AUTHORIZATION_FAILED with a zero topic id); ' +
      'auto-creation needs CREATE on the Cluster or the Topic (else TOPIC_AUTHORIZATION_FAILED)',
    decide(req, call) {
      const allTopics = req.topics === null || (call.version === 0 && req.topics.length === 0);
      if (allTopics) {
        return call.forward(undefined, (res) => {
          res.topics = res.topics.filter((t) => t.name === null || call.authz.allowedQuietly('DESCRIBE', 'TOPIC', t.name));
          return finish(res, req, call, learned);
        });
      }
      return named(req, req.topics ?? [], call, learned);
    },
  });
}

function named(req: MetadataRequest, asked: MetadataRequestTopic[], call: Call, learned: LearnedTopicNames) {
  const fates = decideFates(req, asked, call);
  const forwarded = asked.filter((_, i) => fates[i] === 'forward' || fates[i] === 'forward-no-create');
  const noCreate = fates.includes('forward-no-create');
  const body: MetadataRequest = { ...req, topics: forwarded };
  if (noCreate) body.allowAutoTopicCreation = false;
  const changed = forwarded.length !== asked.length || noCreate;
  return call.forward(changed ? body : undefined, (res) => {
    res.topics = inClientOrder(asked, fates, res.topics, call);
    return finish(res, req, call, learned);
  });
}

function decideFates(req: MetadataRequest, asked: MetadataRequestTopic[], call: Call): Fate[] {
  const autoCreate = call.version < FIRST_AUTO_CREATE_FLAG_VERSION || req.allowAutoTopicCreation;
  let clusterCreate: boolean | undefined;
  const fates = asked.map((t): Fate => {
    if (t.name === null) return 'forward';
    if (!call.authz.allowed('DESCRIBE', 'TOPIC', t.name)) return 'describe-denied';
    if (!autoCreate) return 'forward';
    clusterCreate ??= call.authz.allowedOnCluster('CREATE', false);
    if (clusterCreate || call.authz.allowedQuietly('CREATE', 'TOPIC', t.name)) return 'forward';
    return call.version < FIRST_AUTO_CREATE_FLAG_VERSION ? 'create-denied' : 'forward-no-create';
  });
  return fates;
}

/** The answers in the order the client asked, denied topics answered here, answers to nothing asked left out. */
function inClientOrder(asked: MetadataRequestTopic[], fates: Fate[], answers: MetadataResponseTopic[], call: Call): MetadataResponseTopic[] {
  const byName = new Map<string, MetadataResponseTopic>();
  const byId = new Map<string, MetadataResponseTopic>();
  for (const a of answers) {
    if (a.name !== null) byName.set(a.name, a);
    if (a.topicId !== ZERO_UUID) byId.set(a.topicId, a);
  }
  const out: MetadataResponseTopic[] = [];
  asked.forEach((t, i) => {
    const fate = fates[i];
    if (t.name === null) {
      const a = byId.get(t.topicId);
      if (a !== undefined) out.push(a.name === null || call.authz.allowed('DESCRIBE', 'TOPIC', a.name) ? a : hiddenById(a.topicId));
      return;
    }
    if (fate === 'describe-denied') out.push(denied(t.name, false));
    else if (fate === 'create-denied') out.push(denied(t.name, isInternalTopic(t.name)));
    else {
      const a = byName.get(t.name);
      if (a === undefined) return;
      out.push(fate === 'forward-no-create' && a.errorCode === UNKNOWN_TOPIC_OR_PARTITION ? denied(t.name, isInternalTopic(t.name)) : a);
    }
  });
  return out;
}

/** Kafka's answer to a topic the principal may not describe (or not create): no id, no partitions. */
function denied(name: string, isInternal: boolean): MetadataResponseTopic {
  return { ...createMetadataResponseTopic(), errorCode: TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal };
}

/** A topic asked for by id: ids are not secret, names are. */
function hiddenById(topicId: string): MetadataResponseTopic {
  return { ...createMetadataResponseTopic(), errorCode: TOPIC_AUTHORIZATION_FAILED, name: null, topicId };
}

/** Authorized operations as Turnout decides them, and the ids learned. */
function finish(res: MetadataResponse, req: MetadataRequest, call: Call, learned: LearnedTopicNames): MetadataResponse {
  const v = call.version;
  const topicOps = v >= FIRST_AUTHORIZED_OPERATIONS_VERSION && req.includeTopicAuthorizedOperations;
  for (const t of res.topics) {
    if (t.name !== null && t.errorCode !== TOPIC_AUTHORIZATION_FAILED) {
      learned.learn(t.topicId, t.name);
      if (topicOps) t.topicAuthorizedOperations = call.authz.authorizedOperations('TOPIC', t.name);
    }
  }
  if (v >= FIRST_AUTHORIZED_OPERATIONS_VERSION && v <= LAST_CLUSTER_OPERATIONS_VERSION) {
    res.clusterAuthorizedOperations = !req.includeClusterAuthorizedOperations
      ? AUTHORIZED_OPERATIONS_OMITTED
      : call.authz.allowedOnCluster('DESCRIBE')
        ? call.authz.authorizedOperations('CLUSTER', CLUSTER_RESOURCE_NAME)
        : 0;
  }
  return res;
}
