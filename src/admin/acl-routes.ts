// The ACL API of the admin endpoint:
//   GET    /v1/acl?FILTER          the stored bindings the filter selects, and the domain grants
//                                  of its resource type, principal and operation (those whose
//                                  pattern covers resourceName, when one is given)
//   POST   /v1/acl                 {"bindings": [{resourceType, resourceName, patternType?,
//                                  principal, host?, operation, permission?}, ...]}: adds them
//                                  (host `*`, LITERAL and ALLOW unless given)
//   DELETE /v1/acl?FILTER          removes what the filter selects; a filter must name at least
//                                  a resource type, a resource name or a principal (all=true to
//                                  remove every binding)
//   GET    /v1/acl/explain?principal=User:x&operation=WRITE&resourceType=TOPIC
//                                  &resourceName=orders.created[&host=10.0.0.1]
//                                  the decision, the rule that made it, every rule that covers
//                                  the resource (without host: a client no host rule names)
// FILTER is Kafka's AclBindingFilter as query parameters: resourceType, resourceName,
// patternType (LITERAL, PREFIXED, ANY, MATCH), principal, host, operation, permission; a
// missing one matches anything. Errors are {"error": "..."} with 400, 404, 405, 409
// (authorization is off: no store), 413 or 503 (the store cannot be written).
import type http from 'node:http';
import { isAclOperation, isAclPermission, isResourceType, InvalidAclBindingError } from '../policy/acl-binding.js';
import { AclStoreError } from '../policy/acl-binding-store.js';
import type { AclExplanation, ExplainQuestion } from '../policy/acl-explain.js';
import { ANY_ACL_FILTER } from '../policy/acl-filter.js';
import { CLUSTER_RESOURCE_NAME, type AclBinding, type AclBindingFilter, type AclStore, type DomainGrant } from '../policy/acl-model.js';
import { aclEntrySchema, principalSchema } from '../policy/authorization-schema.js';
import { formatPath } from '../policy/config-error.js';
import { HttpError, parseJsonObject, readBody, sendJson } from './http-json.js';

/** What the routes need of the authorization (src/policy/authorization.ts provides it). */
export interface AclAdmin {
  /** Null when authorization is off. */
  readonly store: AclStore | null;
  explain(q: ExplainQuestion): AclExplanation;
  domainGrants(coveringName?: string): DomainGrant[];
}

export interface AclListResponse {
  /** False when authorization is off: nothing is decided, nothing is stored. */
  enabled: boolean;
  bindings: AclBinding[];
  domainGrants: DomainGrant[];
}

export interface AclCreateResponse {
  created: AclBinding[];
}

export interface AclDeleteResponse {
  removed: AclBinding[];
}

const PREFIX = '/v1/acl';
const FILTER_PARAMS = new Set(['resourceType', 'resourceName', 'patternType', 'principal', 'host', 'operation', 'permission', 'all']);
const EXPLAIN_PARAMS = new Set(['principal', 'operation', 'resourceType', 'resourceName', 'host']);

function checkParams(query: URLSearchParams, known: Set<string>): void {
  for (const k of query.keys()) if (!known.has(k)) throw new HttpError(400, `unknown query parameter ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
}

function oneOf<T extends string>(query: URLSearchParams, name: string, valid: (v: unknown) => v is T, extra: readonly string[] = []): T | null {
  const v = query.get(name);
  if (v === null) return null;
  if (!valid(v) && !extra.includes(v)) throw new HttpError(400, `${name} ${JSON.stringify(v)} is not valid`);
  return v as T;
}

export function filterOfQuery(query: URLSearchParams): AclBindingFilter {
  checkParams(query, FILTER_PARAMS);
  const patternType = query.get('patternType');
  if (patternType !== null && !['LITERAL', 'PREFIXED', 'ANY', 'MATCH'].includes(patternType)) {
    throw new HttpError(400, `patternType ${JSON.stringify(patternType)} is not one of LITERAL, PREFIXED, ANY, MATCH`);
  }
  return {
    resourceType: oneOf(query, 'resourceType', isResourceType, ['ANY']) ?? 'ANY',
    resourceName: query.get('resourceName'),
    patternType: (patternType ?? 'ANY') as AclBindingFilter['patternType'],
    principal: query.get('principal'),
    host: query.get('host'),
    operation: oneOf(query, 'operation', isAclOperation, ['ANY']) ?? 'ANY',
    permission: oneOf(query, 'permission', isAclPermission, ['ANY']) ?? 'ANY',
  };
}

function grantSelected(f: AclBindingFilter, g: DomainGrant): boolean {
  return (
    (f.resourceType === 'ANY' || f.resourceType === g.resourceType) &&
    (f.principal === null || f.principal === g.principal) &&
    (f.host === null || f.host === '*') &&
    (f.operation === 'ANY' || f.operation === g.operation) &&
    (f.permission === 'ANY' || f.permission === 'ALLOW')
  );
}

function explainOfQuery(query: URLSearchParams): ExplainQuestion {
  checkParams(query, EXPLAIN_PARAMS);
  const usage = 'explain needs principal, operation, resourceType and resourceName (host optional)';
  const principal = query.get('principal');
  if (principal === null || !principalSchema.safeParse(principal).success) throw new HttpError(400, `principal must be Type:name (${usage})`);
  const operation = oneOf(query, 'operation', isAclOperation);
  const resourceType = oneOf(query, 'resourceType', isResourceType);
  if (operation === null || resourceType === null) throw new HttpError(400, usage);
  const resourceName = query.get('resourceName') ?? (resourceType === 'CLUSTER' ? CLUSTER_RESOURCE_NAME : null);
  if (resourceName === null) throw new HttpError(400, usage);
  return { principal, host: query.get('host'), operation, resourceType, resourceName };
}

function bindingsOfBody(body: string): AclBinding[] {
  const usage = 'expected a JSON body {"bindings": [{"resourceType": ..., "resourceName": ..., "principal": ..., "operation": ...}, ...]}';
  const value = parseJsonObject(body, usage);
  if (!Array.isArray(value.bindings) || Object.keys(value).length !== 1) throw new HttpError(400, usage);
  return value.bindings.map((b: unknown, i: number) => {
    const parsed = aclEntrySchema.safeParse(b);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${formatPath(['bindings', i, ...issue.path])}: ${issue.message}`);
    }
    return parsed.data;
  });
}

export class AclRoutes {
  private readonly acl: AclAdmin;

  constructor(acl: AclAdmin) {
    this.acl = acl;
  }

  /** Answers the request when its path is under /v1/acl; false otherwise. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    try {
      await this.route(req, res, path, query);
    } catch (err) {
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.message }, err.status === 405 ? { allow: allowed(path) } : {});
      else if (err instanceof InvalidAclBindingError) sendJson(res, 400, { error: err.message });
      else if (err instanceof AclStoreError) sendJson(res, 503, { error: err.message });
      else throw err;
    }
    return true;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (path === `${PREFIX}/explain`) {
      if (!read) throw new HttpError(405, `${method} not allowed on ${path}`);
      sendJson(res, 200, this.acl.explain(explainOfQuery(query)));
      return;
    }
    if (path !== PREFIX && path !== `${PREFIX}/`) throw new HttpError(404, `no such path: ${path}`);
    if (read) sendJson(res, 200, this.list(filterOfQuery(query)));
    else if (method === 'POST') sendJson(res, 200, await this.create(bindingsOfBody(await readBody(req))));
    else if (method === 'DELETE') sendJson(res, 200, await this.remove(query));
    else throw new HttpError(405, `${method} not allowed on ${PREFIX}`);
  }

  list(filter: AclBindingFilter = ANY_ACL_FILTER): AclListResponse {
    const store = this.acl.store;
    return {
      enabled: store !== null,
      bindings: store === null ? [] : [...store.list(filter)],
      domainGrants: this.acl.domainGrants(filter.resourceName ?? undefined).filter((g) => grantSelected(filter, g)),
    };
  }

  private storeOrRefuse(): AclStore {
    if (this.acl.store === null) throw new HttpError(409, 'authorization is off: there are no ACLs to change (set authorization in the configuration)');
    return this.acl.store;
  }

  private async create(bindings: AclBinding[]): Promise<AclCreateResponse> {
    await this.storeOrRefuse().create(bindings);
    return { created: bindings };
  }

  private async remove(query: URLSearchParams): Promise<AclDeleteResponse> {
    const filter = filterOfQuery(query);
    const everything = filter.resourceType === 'ANY' && filter.resourceName === null && filter.principal === null;
    if (everything && query.get('all') !== 'true') {
      throw new HttpError(400, 'name a resourceType, resourceName or principal to remove by (or all=true to remove every binding)');
    }
    const [removed] = await this.storeOrRefuse().delete([filter]);
    return { removed };
  }
}

function allowed(path: string): string {
  return path === `${PREFIX}/explain` ? 'GET, HEAD' : 'GET, HEAD, POST, DELETE';
}
