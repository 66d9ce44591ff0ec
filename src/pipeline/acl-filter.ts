// The ACL filter: Kafka's authorization, decided by Turnout per api exactly as a broker
// decides it (src/pipeline/authorize/acl-table.ts has a row for every api Turnout offers). It
// wants every api only while the authorizer is enabled, so with authorization off nothing is
// decoded for it. A request it cannot decode (the pipeline closes the connection on the
// DecodeError) or of an api with no row is never let through: the connection is closed.
// The authorizer audits the denials the filter enforces and counts every decision; checks
// that only filter a listing ask it not to audit.
import type { Authorizer } from '../policy/acl-model.js';
import { FORWARD, type FilterOutcome, type FilterRequest, type FilterSession, type RequestFilter } from './filter.js';
import { ApiCall, type ApiKeyNumber } from './authorize/api-call.js';
import { aclTableRows, rowApiKey, type AclTableRow } from './authorize/acl-table.js';
import { RequestAuthorization } from './authorize/request-authorization.js';
import { LearnedTopicNames } from './authorize/topic-names.js';

export interface AclFilterOptions {
  /** Decides, audits and counts (src/policy/acl-authorizer.ts); the filter decodes nothing while it is not enabled. */
  readonly authorizer: Authorizer;
}

export class AclFilter implements RequestFilter {
  readonly name = 'acl';
  /** The authorizer and its table are the filter's for life. */
  readonly fixedInterest = true;
  private readonly authorizer: Authorizer;
  private readonly topicNames = new LearnedTopicNames();
  private readonly rows: (AclTableRow | undefined)[] = [];

  constructor(opts: AclFilterOptions) {
    this.authorizer = opts.authorizer;
    for (const row of aclTableRows(this.topicNames)) this.rows[rowApiKey(row)] = row;
  }

  wants(apiKey: number): boolean {
    if (!this.authorizer.enabled) return false;
    return apiKey < 0 || this.rows[apiKey]?.kind !== 'before-authorization';
  }

  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome {
    const row = request.apiKey >= 0 ? this.rows[request.apiKey] : undefined;
    if (row === undefined) {
      return { kind: 'close', reason: 'acl_no_rule', message: `api ${request.apiKey} has no authorization rule, so it is never let through` };
    }
    if (row.kind !== 'rule') return FORWARD;
    const { header, body } = request.decoded();
    const authz = new RequestAuthorization({
      authorizer: this.authorizer,
      principal: session.principal,
      host: session.clientHost,
      topicNames: this.topicNames,
    });
    return row.rule.decide(body, new ApiCall(request.apiKey as ApiKeyNumber, header, authz, request));
  }
}
