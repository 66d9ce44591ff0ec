// The ACL apis answered by Turnout from its own ACL store, as a broker answers them, so that
// `kafka-acls.sh --bootstrap-server TURNOUT` and the admin clients manage Turnout's ACLs:
// DescribeAcls needs DESCRIBE on the cluster, CreateAcls and DeleteAcls ALTER
// (CLUSTER_AUTHORIZATION_FAILED); with authorization off every answer is SECURITY_DISABLED; an
// ACL or filter a broker would refuse gets INVALID_REQUEST with the broker's message. Every
// version of the codec is answered (ACL_API_VERSIONS); version 0 has no pattern type on the
// wire, so its filters decode as LITERAL and it lists and deletes only literal ACLs, as Kafka
// reads them.
import { principalString } from '../auth/principal.js';
import {
  ApiKey,
  type AnyResponse,
  type CreateAclsRequest,
  type CreateAclsResponse,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
} from '../codec/index.js';
import type { AclCreationResult } from '../codec/generated/create-acls.js';
import type { DeleteAclsFilterResult } from '../codec/generated/delete-acls.js';
import type { DescribeAclsResource } from '../codec/generated/describe-acls.js';
import { CLUSTER_RESOURCE_NAME, type AclBinding, type AclBindingFilter, type AclOperation, type AclStore, type Authorizer } from '../policy/acl-model.js';
import type { Logger } from '../observability/logger.js';
import type { FilterOutcome, FilterRequest, FilterSession, RequestFilter } from './filter.js';
import { createAclsError, deleteAclsError, describeAclsError } from './acl-apis/acl-api-errors.js';
import { bindingFromWire, bindingToWire, filterFromWire, InvalidAcl } from './acl-apis/wire-acls.js';
import { CLUSTER_AUTHORIZATION_FAILED, defaultErrorMessage, INVALID_REQUEST, SECURITY_DISABLED } from './authorize/authorization-errors.js';

/** The versions these apis are answered at, whatever the backends support: offer exactly these. */
export const ACL_API_VERSIONS: ReadonlyMap<number, { readonly minVersion: number; readonly maxVersion: number }> = new Map([
  [ApiKey.DescribeAcls, { minVersion: 0, maxVersion: 3 }],
  [ApiKey.CreateAcls, { minVersion: 0, maxVersion: 3 }],
  [ApiKey.DeleteAcls, { minVersion: 0, maxVersion: 3 }],
]);

/** Kafka's UNKNOWN_SERVER_ERROR: the store failed. */
const UNKNOWN_SERVER_ERROR = -1;

export interface AclApisFilterOptions {
  /** Where the bindings live; null when authorization is off (every answer is then SECURITY_DISABLED). */
  readonly store: AclStore | null;
  readonly authorizer: Authorizer;
  /** Where a change the store refused is logged (the store logs the changes it makes). */
  readonly log?: Logger;
}

export class AclApisFilter implements RequestFilter {
  readonly name = 'acl-apis';
  readonly fixedInterest = true;
  private readonly store: AclStore | null;
  private readonly authorizer: Authorizer;
  private readonly log: Logger | undefined;

  constructor(opts: AclApisFilterOptions) {
    this.store = opts.store;
    this.authorizer = opts.authorizer;
    this.log = opts.log;
  }

  wants(apiKey: number): boolean {
    return ACL_API_VERSIONS.has(apiKey);
  }

  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome {
    const { body } = request.decoded();
    // Without an authorizer there are no ACLs to manage, as on a broker without one.
    const store = this.authorizer.enabled ? this.store : null;
    const answer = (response: AnyResponse | Promise<AnyResponse>): FilterOutcome => ({
      kind: 'answer',
      response: response instanceof Promise ? response.then((r) => request.respond(r)) : request.respond(response),
    });
    switch (request.apiKey) {
      case ApiKey.DescribeAcls: {
        const req = body as DescribeAclsRequest;
        if (store === null) return answer(describeAclsError(SECURITY_DISABLED, 'No Authorizer is configured on the broker'));
        if (!this.mayOnCluster(session, 'DESCRIBE')) return answer(describeAclsError(CLUSTER_AUTHORIZATION_FAILED, defaultErrorMessage(CLUSTER_AUTHORIZATION_FAILED)));
        return answer(this.describe(store, req));
      }
      case ApiKey.CreateAcls: {
        const req = body as CreateAclsRequest;
        if (store === null) return answer(createAclsError(req, SECURITY_DISABLED, 'No Authorizer is configured.'));
        if (!this.mayOnCluster(session, 'ALTER')) return answer(createAclsError(req, CLUSTER_AUTHORIZATION_FAILED, defaultErrorMessage(CLUSTER_AUTHORIZATION_FAILED)));
        return answer(this.create(store, req, session));
      }
      case ApiKey.DeleteAcls: {
        const req = body as DeleteAclsRequest;
        if (store === null) return answer(deleteAclsError(req, SECURITY_DISABLED, 'No Authorizer is configured.'));
        if (!this.mayOnCluster(session, 'ALTER')) return answer(deleteAclsError(req, CLUSTER_AUTHORIZATION_FAILED, defaultErrorMessage(CLUSTER_AUTHORIZATION_FAILED)));
        return answer(this.delete(store, req, session));
      }
      default:
        return { kind: 'close', reason: 'acl_apis_unexpected', message: `api ${request.apiKey} is not an ACL api` };
    }
  }

  private mayOnCluster(session: FilterSession, operation: AclOperation): boolean {
    const { principal, clientHost: host } = session;
    return this.authorizer.authorize({ principal, host, operation, resourceType: 'CLUSTER', resourceName: CLUSTER_RESOURCE_NAME }).allowed;
  }

  private describe(store: AclStore, req: DescribeAclsRequest): DescribeAclsResponse {
    const filter = filterFromWire(req);
    if (filter instanceof InvalidAcl) return describeAclsError(INVALID_REQUEST, filter.message);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: byResource(store.list(filter)) };
  }

  private async create(store: AclStore, req: CreateAclsRequest, session: FilterSession): Promise<CreateAclsResponse> {
    const checked = req.creations.map((c) => bindingFromWire({ ...c, patternType: c.resourcePatternType }));
    const valid = checked.filter((b): b is AclBinding => !(b instanceof InvalidAcl));
    let failure: string | null = null;
    try {
      if (valid.length > 0) await store.create(valid);
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      this.log?.warn({ err: e, principal: principalString(session.principal) }, 'ACLs not created: the store refused the change');
    }
    const results = checked.map((b): AclCreationResult => {
      if (b instanceof InvalidAcl) return { errorCode: INVALID_REQUEST, errorMessage: b.message };
      return failure === null ? { errorCode: 0, errorMessage: null } : { errorCode: UNKNOWN_SERVER_ERROR, errorMessage: failure };
    });
    return { throttleTimeMs: 0, results };
  }

  private async delete(store: AclStore, req: DeleteAclsRequest, session: FilterSession): Promise<DeleteAclsResponse> {
    const checked = req.filters.map((f) => filterFromWire(f));
    const valid = checked.filter((f): f is AclBindingFilter => !(f instanceof InvalidAcl));
    let deleted: AclBinding[][] = [];
    let failure: string | null = null;
    try {
      if (valid.length > 0) deleted = await store.delete(valid);
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      this.log?.warn({ err: e, principal: principalString(session.principal) }, 'ACLs not deleted: the store refused the change');
    }
    let next = 0;
    const filterResults = checked.map((f): DeleteAclsFilterResult => {
      if (f instanceof InvalidAcl) return { errorCode: INVALID_REQUEST, errorMessage: f.message, matchingAcls: [] };
      if (failure !== null) return { errorCode: UNKNOWN_SERVER_ERROR, errorMessage: failure, matchingAcls: [] };
      const matching = deleted[next++] ?? [];
      return { errorCode: 0, errorMessage: null, matchingAcls: matching.map((b) => ({ errorCode: 0, errorMessage: null, ...wireMatching(b) })) };
    });
    return { throttleTimeMs: 0, filterResults };
  }
}

function wireMatching(b: AclBinding) {
  const w = bindingToWire(b);
  return {
    resourceType: w.resourceType,
    resourceName: w.resourceName,
    patternType: w.patternType,
    principal: w.principal,
    host: w.host,
    operation: w.operation,
    permissionType: w.permissionType,
  };
}

/** DescribeAcls lists bindings grouped by resource pattern, in the store's order. */
function byResource(bindings: readonly AclBinding[]): DescribeAclsResource[] {
  const groups = new Map<string, DescribeAclsResource>();
  for (const b of bindings) {
    const w = bindingToWire(b);
    const key = `${w.resourceType}\u0000${w.patternType}\u0000${w.resourceName}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.patternType, acls: [] };
      groups.set(key, group);
    }
    group.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType });
  }
  return [...groups.values()];
}
