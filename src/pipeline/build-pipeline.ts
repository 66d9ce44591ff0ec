// The request pipeline Turnout runs in front of its router, in order:
//   authentication SASL logins; closes a client that sends anything else before logging in
//   api-versions   answers ApiVersions; refuses an api or version not offered
//   produce-acks   marks acks=0 produce as getting no answer
//   acl-apis       answers DescribeAcls, CreateAcls and DeleteAcls from Turnout's ACL store
//   acl            Kafka's authorization of every other api (nothing while it is off)
//   cutover-hold   holds a domain's produce and transactional requests during its cutover
//                  (nothing while no domain is in one); over several backends only
import type { RequestRouter } from '../net/request-router.js';
import { OPEN_AUTHORIZER } from '../policy/acl-authorizer.js';
import type { AclStore, Authorizer } from '../policy/acl-model.js';
import type { Logger } from '../observability/logger.js';
import { AclApisFilter } from './acl-apis-filter.js';
import { AclFilter } from './acl-filter.js';
import { ApiVersionsFilter, type OfferedApis } from './api-versions-filter.js';
import type { RequestFilter } from './filter.js';
import { RequestPipeline } from './pipeline.js';
import { ProduceAcksFilter } from './produce-acks-filter.js';

export interface PipelineOptions {
  /** The router the pipeline is in front of. */
  router: RequestRouter;
  /** What is offered to clients, asked per request. */
  offered: () => OfferedApis;
  /** Who may do what, and where the ACLs live (null when off). (default: authorization off) */
  authorization?: { readonly authorizer: Authorizer; readonly store: AclStore | null };
  /** The client authentication filter (client-authentication.ts), when there is one. */
  authentication?: RequestFilter;
  /** The cutover hold filter (cutover-hold-filter.ts), over several backends. */
  cutoverHold?: RequestFilter;
  log?: Logger;
}

export function buildPipeline(opts: PipelineOptions): RequestPipeline {
  const { authorizer, store } = opts.authorization ?? { authorizer: OPEN_AUTHORIZER, store: null };
  const filters: RequestFilter[] = [
    ...(opts.authentication === undefined ? [] : [opts.authentication]),
    new ApiVersionsFilter(opts.offered),
    new ProduceAcksFilter(),
    new AclApisFilter({ store, authorizer, log: opts.log }),
    new AclFilter({ authorizer }),
    ...(opts.cutoverHold === undefined ? [] : [opts.cutoverHold]),
  ];
  return new RequestPipeline(filters, opts.router);
}
