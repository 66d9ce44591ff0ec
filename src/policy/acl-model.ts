// Kafka's ACL model, as Turnout decides it: the names of its resource types, pattern types,
// operations and permissions, an ACL binding, and the interfaces through which the request
// pipeline asks for a decision (Authorizer) and the ACL apis read and change the bindings
// (AclStore). The numeric codes are the wire protocol's (DescribeAcls, CreateAcls, DeleteAcls).
import type { KafkaPrincipal } from '../auth/principal.js';

export type ResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID' | 'DELEGATION_TOKEN' | 'USER';
export type PatternType = 'LITERAL' | 'PREFIXED';
export type AclOperation =
  | 'ALL'
  | 'READ'
  | 'WRITE'
  | 'CREATE'
  | 'DELETE'
  | 'ALTER'
  | 'DESCRIBE'
  | 'CLUSTER_ACTION'
  | 'DESCRIBE_CONFIGS'
  | 'ALTER_CONFIGS'
  | 'IDEMPOTENT_WRITE'
  | 'CREATE_TOKENS'
  | 'DESCRIBE_TOKENS';
export type AclPermission = 'ALLOW' | 'DENY';

/** The name of the cluster resource, as Kafka names it. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** The LITERAL resource name and the principal name that match everything. */
export const WILDCARD = '*';

/** One ACL entry on one resource pattern, Kafka's AclBinding. */
export interface AclBinding {
  readonly resourceType: ResourceType;
  /** A name, `*` (LITERAL only: every resource of the type) or a prefix (PREFIXED). */
  readonly resourceName: string;
  readonly patternType: PatternType;
  /** `User:alice` or `User:*`. */
  readonly principal: string;
  /** A client IP address, or `*`. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

/** One question for the authorizer. */
export interface AuthorizationRequest {
  readonly principal: KafkaPrincipal;
  /** The client's IP address. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly resourceName: string;
  /**
   * False for a check that only filters what a listing shows (an all-topics Metadata,
   * ListGroups): a denial is then counted but not audited, as Kafka logs those only at trace.
   * (default: true)
   */
  readonly audit?: boolean;
}

/**
 * One ALLOW entry that a domain's `access` grants over one of its name patterns. A glob
 * pattern has no Kafka pattern type, so these are evaluated on the domain's patterns
 * themselves and shown as domain grants, never as stored bindings.
 */
export interface DomainGrant {
  readonly domain: string;
  readonly role: 'owners' | 'producers' | 'consumers';
  readonly resourceType: ResourceType;
  /** The pattern as the domain writes it: `"orders.*"`, `{glob: "*.audit"}`. */
  readonly pattern: string;
  readonly patternKind: 'literal' | 'prefix' | 'glob';
  readonly principal: string;
  readonly operation: AclOperation;
}

/** Why a decision came out as it did: the binding that decided, or the rule that applied when none did. */
export type DecisionReason =
  | { readonly kind: 'acl'; readonly binding: AclBinding }
  | { readonly kind: 'domain-access'; readonly grant: DomainGrant }
  | { readonly kind: 'super-user' }
  | { readonly kind: 'no-acl-allow-everyone' }
  | { readonly kind: 'no-matching-allow' }
  | { readonly kind: 'authorization-off' }
  /** The shared store's bindings have not been read yet: only super users are allowed (Kafka's AuthorizerNotReady). */
  | { readonly kind: 'acls-not-loaded' };

export interface AuthorizationDecision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
}

export interface Authorizer {
  /** False when no authorization is configured: every request is allowed and nothing is decoded for it. */
  readonly enabled: boolean;
  /** Kafka's decision for one operation on one resource. Synchronous and cached. */
  authorize(request: AuthorizationRequest): AuthorizationDecision;
  /**
   * Kafka's authorizeByResourceType: whether the principal may perform the operation on at
   * least one resource of the type (InitProducerId without a transactional id asks for WRITE
   * on some topic).
   */
  authorizeAny(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType): boolean;
}

/** A filter over bindings, as DescribeAcls and DeleteAcls send it; null (or ANY) matches everything. */
export interface AclBindingFilter {
  readonly resourceType: ResourceType | 'ANY';
  readonly resourceName: string | null;
  /** MATCH: every pattern that matches the name (literal, wildcard and prefixes). */
  readonly patternType: PatternType | 'ANY' | 'MATCH';
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperation | 'ANY';
  readonly permission: AclPermission | 'ANY';
}

/** Where ACL bindings live (the policy store: file or Redis); the ACL apis and the CLI write here. */
export interface AclStore {
  list(filter: AclBindingFilter): readonly AclBinding[];
  /** Adds bindings (an existing one is kept once); resolves when every instance sharing the store will see them. */
  create(bindings: readonly AclBinding[]): Promise<void>;
  /** Removes every binding matching each filter; resolves with the removed bindings per filter. */
  delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]>;
}
