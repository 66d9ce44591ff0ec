// The authorization questions one request asks, on behalf of its connection's principal and
// client address. `allowed` is a decision the filter enforces: the authorizer audits a denial.
// `allowedQuietly` only filters what a listing shows (Kafka's logIfDenied = false): the
// authorizer counts its denial but does not audit it.
import type { KafkaPrincipal } from '../../auth/principal.js';
import { CLUSTER_RESOURCE_NAME, type AclOperation, type Authorizer, type ResourceType } from '../../policy/acl-model.js';
import { operationCodes, SUPPORTED_OPERATIONS } from '../acl-wire-codes.js';
import type { TopicNameLookup } from './topic-names.js';

export interface RequestAuthorizationOptions {
  readonly authorizer: Authorizer;
  readonly principal: KafkaPrincipal;
  readonly host: string;
  readonly topicNames: TopicNameLookup;
}

export class RequestAuthorization {
  readonly principal: KafkaPrincipal;
  readonly topicNames: TopicNameLookup;
  private readonly authorizer: Authorizer;
  private readonly host: string;

  constructor(opts: RequestAuthorizationOptions) {
    this.authorizer = opts.authorizer;
    this.principal = opts.principal;
    this.host = opts.host;
    this.topicNames = opts.topicNames;
  }

  /** Whether the principal may; a denial is audited. */
  allowed(operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    return this.decide(operation, resourceType, resourceName, true);
  }

  /** Whether the principal may, for filtering what a listing shows: a denial is not audited. */
  allowedQuietly(operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    return this.decide(operation, resourceType, resourceName, false);
  }

  /** An operation on the cluster resource; a denial is audited when `audited`. */
  allowedOnCluster(operation: AclOperation, audited = true): boolean {
    return this.decide(operation, 'CLUSTER', CLUSTER_RESOURCE_NAME, audited);
  }

  /** Kafka's authorizeByResourceType: whether some resource of the type allows the operation. */
  allowedOnSome(operation: AclOperation, resourceType: ResourceType): boolean {
    return this.authorizer.authorizeAny(this.principal, this.host, operation, resourceType);
  }

  /** Kafka's authorized-operations bit field for one resource: bit (1 << code) per operation allowed. */
  authorizedOperations(resourceType: ResourceType, resourceName: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS[resourceType]) {
      if (this.decide(op, resourceType, resourceName, false)) bits |= 1 << operationCodes.code(op);
    }
    return bits;
  }

  private decide(operation: AclOperation, resourceType: ResourceType, resourceName: string, audit: boolean): boolean {
    return this.authorizer.authorize({ principal: this.principal, host: this.host, operation, resourceType, resourceName, audit }).allowed;
  }
}
