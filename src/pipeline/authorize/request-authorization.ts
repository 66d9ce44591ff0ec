// The authorization questions one request asks, on behalf of its connection's principal and
// client address. `allowed` is a decision the filter enforces: a denial is audited.
// `allowedQuietly` only filters what a listing shows (Kafka's logIfDenied = false), so its
// denials are counted but not logged. Every decision is counted.
import type { KafkaPrincipal } from '../../auth/principal.js';
import { CLUSTER_RESOURCE_NAME, type AclOperation, type Authorizer, type ResourceType } from '../../policy/acl-model.js';
import type { AuthzDecisionCounter } from '../../observability/authz-metrics.js';
import { operationCodes, SUPPORTED_OPERATIONS } from '../acl-wire-codes.js';
import type { DenialAudit } from './denial-audit.js';
import type { TopicNameLookup } from './topic-names.js';

export interface RequestAuthorizationOptions {
  readonly authorizer: Authorizer;
  readonly principal: KafkaPrincipal;
  readonly host: string;
  /** The api's name, for the audit line. */
  readonly api: string;
  readonly audit: DenialAudit;
  readonly metrics?: AuthzDecisionCounter;
  readonly topicNames: TopicNameLookup;
}

export class RequestAuthorization {
  readonly principal: KafkaPrincipal;
  readonly topicNames: TopicNameLookup;
  private readonly opts: RequestAuthorizationOptions;

  constructor(opts: RequestAuthorizationOptions) {
    this.opts = opts;
    this.principal = opts.principal;
    this.topicNames = opts.topicNames;
  }

  /** Whether the principal may; a denial is audited. */
  allowed(operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    return this.decide(operation, resourceType, resourceName, true);
  }

  /** Whether the principal may, for filtering what a listing shows: a denial is not logged. */
  allowedQuietly(operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    return this.decide(operation, resourceType, resourceName, false);
  }

  /** An operation on the cluster resource; a denial is audited when `audited`. */
  allowedOnCluster(operation: AclOperation, audited = true): boolean {
    return this.decide(operation, 'CLUSTER', CLUSTER_RESOURCE_NAME, audited);
  }

  /** Kafka's authorizeByResourceType: whether some resource of the type allows the operation. */
  allowedOnSome(operation: AclOperation, resourceType: ResourceType): boolean {
    const { authorizer, principal, host } = this.opts;
    return authorizer.authorizeAny(principal, host, operation, resourceType);
  }

  /** Kafka's authorized-operations bit field for one resource: bit (1 << code) per operation allowed. */
  authorizedOperations(resourceType: ResourceType, resourceName: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS[resourceType]) {
      if (this.decide(op, resourceType, resourceName, false)) bits |= 1 << operationCodes.code(op);
    }
    return bits;
  }

  private decide(operation: AclOperation, resourceType: ResourceType, resourceName: string, audited: boolean): boolean {
    const { authorizer, principal, host, metrics, audit, api } = this.opts;
    const request = { principal, host, operation, resourceType, resourceName };
    const decision = authorizer.authorize(request);
    metrics?.decision(decision.allowed, resourceType, operation);
    if (!decision.allowed && audited) audit.denied(request, decision, api);
    return decision.allowed;
  }
}
