// Kafka's wire codes for the ACL model's names (AclOperation, ResourceType, PatternType,
// AclPermissionType), both ways, and the operations each resource type supports, from which a
// broker builds the authorized-operations bit fields of Metadata, DescribeCluster and the
// group descriptions. UNKNOWN (0) and any code Kafka has not defined map to undefined: the
// caller decides what a request carrying one gets.
import type { AclOperation, AclPermission, PatternType, ResourceType } from '../policy/acl-model.js';

/** ANY: the filter value that matches every operation, resource type, pattern or permission. */
export const ANY_CODE = 1;
/** MATCH (pattern filters only): every pattern that matches the name. */
export const MATCH_CODE = 2;

const OPERATION_CODES: ReadonlyArray<readonly [AclOperation, number]> = [
  ['ALL', 2],
  ['READ', 3],
  ['WRITE', 4],
  ['CREATE', 5],
  ['DELETE', 6],
  ['ALTER', 7],
  ['DESCRIBE', 8],
  ['CLUSTER_ACTION', 9],
  ['DESCRIBE_CONFIGS', 10],
  ['ALTER_CONFIGS', 11],
  ['IDEMPOTENT_WRITE', 12],
  ['CREATE_TOKENS', 13],
  ['DESCRIBE_TOKENS', 14],
];

const RESOURCE_TYPE_CODES: ReadonlyArray<readonly [ResourceType, number]> = [
  ['TOPIC', 2],
  ['GROUP', 3],
  ['CLUSTER', 4],
  ['TRANSACTIONAL_ID', 5],
  ['DELEGATION_TOKEN', 6],
  ['USER', 7],
];

const PATTERN_TYPE_CODES: ReadonlyArray<readonly [PatternType, number]> = [
  ['LITERAL', 3],
  ['PREFIXED', 4],
];

const PERMISSION_CODES: ReadonlyArray<readonly [AclPermission, number]> = [
  ['DENY', 2],
  ['ALLOW', 3],
];

function twoWay<N extends string>(pairs: ReadonlyArray<readonly [N, number]>) {
  const byName = new Map<N, number>(pairs);
  const byCode = new Map<number, N>(pairs.map(([n, c]) => [c, n]));
  return { code: (n: N): number => byName.get(n)!, name: (c: number): N | undefined => byCode.get(c) };
}

export const operationCodes = twoWay(OPERATION_CODES);
export const resourceTypeCodes = twoWay(RESOURCE_TYPE_CODES);
export const patternTypeCodes = twoWay(PATTERN_TYPE_CODES);
export const permissionCodes = twoWay(PERMISSION_CODES);

/** The operations a broker reports in an authorized-operations field for a resource type (Kafka's AclEntry). */
export const SUPPORTED_OPERATIONS: Readonly<Record<ResourceType, readonly AclOperation[]>> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DESCRIBE', 'DELETE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  CLUSTER: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE'],
  DELEGATION_TOKEN: ['DESCRIBE'],
  USER: ['CREATE_TOKENS', 'DESCRIBE_TOKENS'],
};
