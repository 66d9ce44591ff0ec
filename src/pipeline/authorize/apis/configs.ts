// The config apis, per resource: broker, broker logger and client-metrics resources need
// DESCRIBE_CONFIGS / ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED), a topic's on the
// topic (TOPIC_AUTHORIZATION_FAILED), a group's on the group (GROUP_AUTHORIZATION_FAILED).
// DescribeConfigs with a resource type Kafka does not define is INVALID_REQUEST for every
// resource, as a broker answers it; the alter apis answer such a resource INVALID_REQUEST on
// its own. Legacy AlterConfigs has no broker-logger resources.
import { ApiKey } from '../../../codec/index.js';
import type { AlterConfigsResource as LegacyAlterResource, AlterConfigsResourceResponse } from '../../../codec/generated/alter-configs.js';
import type { DescribeConfigsResource, DescribeConfigsResult } from '../../../codec/generated/describe-configs.js';
import type { AlterConfigsResource as IncrementalAlterResource } from '../../../codec/generated/incremental-alter-configs.js';
import { CLUSTER_RESOURCE_NAME, type AclOperation, type ResourceType } from '../../../policy/acl-model.js';
import type { RequestOf, ResponseOf } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import {
  CLUSTER_AUTHORIZATION_FAILED,
  defaultErrorMessage,
  GROUP_AUTHORIZATION_FAILED,
  INVALID_REQUEST,
  TOPIC_AUTHORIZATION_FAILED,
} from '../authorization-errors.js';
import { splitEntries, type ListField } from '../entry-split.js';
import type { RequestAuthorization } from '../request-authorization.js';

/** Kafka's ConfigResource.Type codes. */
const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const CLIENT_METRICS = 16;
const GROUP = 32;

interface ConfigResourceRule {
  readonly resourceType: ResourceType;
  readonly error: number;
}
const CLUSTER_RULE: ConfigResourceRule = { resourceType: 'CLUSTER', error: CLUSTER_AUTHORIZATION_FAILED };
const RULES: ReadonlyMap<number, ConfigResourceRule> = new Map([
  [TOPIC, { resourceType: 'TOPIC', error: TOPIC_AUTHORIZATION_FAILED }],
  [BROKER, CLUSTER_RULE],
  [BROKER_LOGGER, CLUSTER_RULE],
  [CLIENT_METRICS, CLUSTER_RULE],
  [GROUP, { resourceType: 'GROUP', error: GROUP_AUTHORIZATION_FAILED }],
]);

interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

/** 0 when allowed, the resource type's error when not, undefined for a type without a rule. */
function resourceError(authz: RequestAuthorization, operation: AclOperation, r: ConfigResource, types: ReadonlySet<number>): number | undefined {
  const rule = types.has(r.resourceType) ? RULES.get(r.resourceType) : undefined;
  if (rule === undefined) return undefined;
  const name = rule.resourceType === 'CLUSTER' ? CLUSTER_RESOURCE_NAME : r.resourceName;
  return authz.allowed(operation, rule.resourceType, name) ? 0 : rule.error;
}

const resourceKey = (r: ConfigResource): string => `${r.resourceType}:${r.resourceName}`;

const DESCRIBE_TYPES: ReadonlySet<number> = new Set([TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP]);
const LEGACY_ALTER_TYPES: ReadonlySet<number> = new Set([TOPIC, BROKER, CLIENT_METRICS, GROUP]);

export const describeConfigsRule = apiRule({
  apiKey: ApiKey.DescribeConfigs,
  checks: 'DESCRIBE_CONFIGS on the Cluster (broker, broker logger, client metrics: CLUSTER_AUTHORIZATION_FAILED), the Topic or the Group, per resource',
  decide(req, call) {
    const denied = (r: DescribeConfigsResource, errorCode: number): DescribeConfigsResult => ({
      errorCode,
      errorMessage: defaultErrorMessage(errorCode),
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: [],
    });
    const errors = new Map(req.resources.map((r) => [r, resourceError(call.authz, 'DESCRIBE_CONFIGS', r, DESCRIBE_TYPES)]));
    if ([...errors.values()].includes(undefined)) return call.answer({ throttleTimeMs: 0, results: req.resources.map((r) => denied(r, INVALID_REQUEST)) });
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.DescribeConfigs, DescribeConfigsResource, DescribeConfigsResult>({
        entries: req.resources,
        errorOf: (r) => errors.get(r) ?? INVALID_REQUEST,
        requestWith: (resources) => ({ ...req, resources }),
        deniedAnswer: denied,
        emptyResponse: () => ({ throttleTimeMs: 0, results: [] }),
        answerList: 'results',
        requestKey: resourceKey,
        answerKey: resourceKey,
      }),
    );
  },
});

/** The alter apis' split: per resource, ALTER_CONFIGS; a type without a rule answered INVALID_REQUEST. */
function alterSplit<K extends typeof ApiKey.AlterConfigs | typeof ApiKey.IncrementalAlterConfigs, Q extends ConfigResource>(
  authz: RequestAuthorization,
  resources: Q[],
  types: ReadonlySet<number>,
  requestWith: (resources: Q[]) => RequestOf<K>,
) {
  return splitEntries<K, Q, AlterConfigsResourceResponse>({
    entries: resources,
    errorOf: (r) => resourceError(authz, 'ALTER_CONFIGS', r, types) ?? INVALID_REQUEST,
    requestWith,
    deniedAnswer: (r, errorCode) => ({
      errorCode,
      errorMessage: errorCode === INVALID_REQUEST ? `Unexpected resource type ${r.resourceType}.` : defaultErrorMessage(errorCode),
      resourceType: r.resourceType,
      resourceName: r.resourceName,
    }),
    // Both alter apis answer in the same shape.
    emptyResponse: () => ({ throttleTimeMs: 0, responses: [] }) as ResponseOf<K>,
    answerList: 'responses' as ListField<ResponseOf<K>, AlterConfigsResourceResponse>,
    requestKey: resourceKey,
    answerKey: resourceKey,
  });
}

export const alterConfigsRule = apiRule({
  apiKey: ApiKey.AlterConfigs,
  checks: 'ALTER_CONFIGS on the Cluster (broker, client metrics: CLUSTER_AUTHORIZATION_FAILED), the Topic or the Group, per resource',
  decide(req, call) {
    return call.forwardOrDeny(
      alterSplit<typeof ApiKey.AlterConfigs, LegacyAlterResource>(call.authz, req.resources, LEGACY_ALTER_TYPES, (resources) => ({ ...req, resources })),
    );
  },
});

export const incrementalAlterConfigsRule = apiRule({
  apiKey: ApiKey.IncrementalAlterConfigs,
  checks: 'ALTER_CONFIGS on the Cluster (broker, broker logger, client metrics: CLUSTER_AUTHORIZATION_FAILED), the Topic or the Group, per resource',
  decide(req, call) {
    return call.forwardOrDeny(
      alterSplit<typeof ApiKey.IncrementalAlterConfigs, IncrementalAlterResource>(call.authz, req.resources, DESCRIBE_TYPES, (resources) => ({
        ...req,
        resources,
      })),
    );
  },
});
