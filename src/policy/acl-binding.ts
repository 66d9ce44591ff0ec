// ACL bindings as values: the names Kafka accepts for each field, the checks a broker makes
// before it stores a binding (CreateAcls), a canonical key so a binding is kept once, and the
// one-line form logs, audit lines and the CLI print.
import {
  CLUSTER_RESOURCE_NAME,
  type AclBinding,
  type AclOperation,
  type AclPermission,
  type PatternType,
  type ResourceType,
} from './acl-model.js';

export const RESOURCE_TYPES: readonly ResourceType[] = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'];
export const PATTERN_TYPES: readonly PatternType[] = ['LITERAL', 'PREFIXED'];
export const ACL_OPERATIONS: readonly AclOperation[] = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
  'CREATE_TOKENS',
  'DESCRIBE_TOKENS',
];
export const ACL_PERMISSIONS: readonly AclPermission[] = ['ALLOW', 'DENY'];

export function isResourceType(v: unknown): v is ResourceType {
  return typeof v === 'string' && (RESOURCE_TYPES as readonly string[]).includes(v);
}

export function isPatternType(v: unknown): v is PatternType {
  return typeof v === 'string' && (PATTERN_TYPES as readonly string[]).includes(v);
}

export function isAclOperation(v: unknown): v is AclOperation {
  return typeof v === 'string' && (ACL_OPERATIONS as readonly string[]).includes(v);
}

export function isAclPermission(v: unknown): v is AclPermission {
  return typeof v === 'string' && (ACL_PERMISSIONS as readonly string[]).includes(v);
}

/** Raised when a binding is refused before anything is stored; `index` is its place in the request. */
export class InvalidAclBindingError extends Error {
  readonly binding: AclBinding;
  readonly index: number;
  readonly reason: string;

  constructor(binding: AclBinding, index: number, reason: string) {
    super(`ACL binding ${index} (${bindingText(binding)}) is invalid: ${reason}`);
    this.name = 'InvalidAclBindingError';
    this.binding = binding;
    this.index = index;
    this.reason = reason;
  }
}

/**
 * Why a broker would refuse to store this binding, or null. These are the checks of Kafka's
 * CreateAcls handling (empty name, the cluster's one name) and of its controller (known
 * enum values, a principal of the form Type:name). Kafka does not check the host.
 */
export function checkBinding(b: AclBinding): string | null {
  if (!isResourceType(b.resourceType)) return `invalid resource type ${JSON.stringify(b.resourceType)}`;
  if (!isPatternType(b.patternType)) return `invalid pattern type ${JSON.stringify(b.patternType)}`;
  if (!isAclOperation(b.operation) || b.operation === ('ANY' as AclOperation)) return `invalid operation ${JSON.stringify(b.operation)}`;
  if (!isAclPermission(b.permission)) return `invalid permission ${JSON.stringify(b.permission)}`;
  if (typeof b.resourceName !== 'string' || b.resourceName === '') return 'invalid empty resource name';
  if (b.resourceType === 'CLUSTER' && b.resourceName !== CLUSTER_RESOURCE_NAME) {
    return `the only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  }
  if (typeof b.principal !== 'string' || !/^[^:]+:.+$/s.test(b.principal)) {
    return `expected a principal in format principalType:principalName but got ${JSON.stringify(b.principal)}`;
  }
  if (typeof b.host !== 'string' || b.host === '') return 'invalid empty host';
  return null;
}

/** The binding with only its seven fields, in a fixed order (what stores keep and compare). */
export function plainBinding(b: AclBinding): AclBinding {
  return {
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permission: b.permission,
  };
}

/** One string per distinct binding: equal bindings have equal keys. */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permission]);
}

/** Reads a key back; null when the text is not a binding (a shared store is never trusted). */
export function bindingOfKey(key: string): AclBinding | null {
  let v: unknown;
  try {
    v = JSON.parse(key);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 7 || !v.every((x) => typeof x === 'string')) return null;
  const [resourceType, patternType, resourceName, principal, host, operation, permission] = v as string[];
  const b = { resourceType, patternType, resourceName, principal, host, operation, permission } as AclBinding;
  return checkBinding(b) === null ? b : null;
}

/** `ALLOW User:alice WRITE on TOPIC PREFIXED "orders." from *`, for logs and the CLI. */
export function bindingText(b: AclBinding): string {
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${b.patternType} ${JSON.stringify(b.resourceName)} from ${b.host}`;
}
