// A small Authorizer for unit tests: it evaluates a list of rules with Kafka's semantics in
// miniature (a matching DENY wins; READ, WRITE, DELETE and ALTER imply DESCRIBE; ALL matches
// every operation; a name ending in '*' is a prefix, '*' alone every name; principal '*' is
// everyone). Everything else is denied.
import { principalString, type KafkaPrincipal } from '../../../src/auth/principal.js';
import type {
  AclOperation,
  AclPermission,
  AuthorizationDecision,
  AuthorizationRequest,
  Authorizer,
  ResourceType,
} from '../../../src/policy/acl-model.js';

export interface TestRule {
  readonly principal: string;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly name: string;
  readonly permission?: AclPermission;
}

const IMPLIES_DESCRIBE: ReadonlySet<AclOperation> = new Set(['READ', 'WRITE', 'DELETE', 'ALTER']);

export class RuleAuthorizer implements Authorizer {
  enabled = true;
  rules: TestRule[];
  /** Every question asked, in order. */
  readonly asked: AuthorizationRequest[] = [];

  constructor(rules: TestRule[] = []) {
    this.rules = rules;
  }

  authorize(request: AuthorizationRequest): AuthorizationDecision {
    this.asked.push(request);
    const matching = this.rules.filter((r) => matches(r, request.principal, request.resourceType, request.resourceName));
    const deny = matching.find((r) => r.permission === 'DENY' && (r.operation === 'ALL' || r.operation === request.operation));
    if (deny !== undefined) return { allowed: false, reason: { kind: 'acl', binding: binding(deny) } };
    const allow = matching.find((r) => r.permission !== 'DENY' && grants(r.operation, request.operation));
    if (allow !== undefined) return { allowed: true, reason: { kind: 'acl', binding: binding(allow) } };
    return { allowed: false, reason: { kind: 'no-matching-allow' } };
  }

  authorizeAny(principal: KafkaPrincipal, _host: string, operation: AclOperation, resourceType: ResourceType): boolean {
    return this.rules.some(
      (r) => r.permission !== 'DENY' && r.resourceType === resourceType && principalMatches(r.principal, principal) && grants(r.operation, operation),
    );
  }
}

function grants(granted: AclOperation, asked: AclOperation): boolean {
  return granted === 'ALL' || granted === asked || (asked === 'DESCRIBE' && IMPLIES_DESCRIBE.has(granted));
}

function principalMatches(rule: string, p: KafkaPrincipal): boolean {
  return rule === 'User:*' || rule === principalString(p);
}

function matches(r: TestRule, p: KafkaPrincipal, type: ResourceType, name: string): boolean {
  if (r.resourceType !== type || !principalMatches(r.principal, p)) return false;
  if (r.name === '*') return true;
  return r.name.endsWith('*') ? name.startsWith(r.name.slice(0, -1)) : r.name === name;
}

function binding(r: TestRule) {
  const prefixed = r.name.endsWith('*') && r.name !== '*';
  return {
    resourceType: r.resourceType,
    resourceName: prefixed ? r.name.slice(0, -1) : r.name,
    patternType: prefixed ? ('PREFIXED' as const) : ('LITERAL' as const),
    principal: r.principal,
    host: '*',
    operation: r.operation,
    permission: r.permission ?? ('ALLOW' as const),
  };
}

export const ALICE = 'User:alice';
export const alice: KafkaPrincipal = { type: 'User', name: 'alice' };

/** alice may `operation` on `resourceType` `name`. */
export function allow(operation: AclOperation, resourceType: ResourceType, name: string): TestRule {
  return { principal: ALICE, operation, resourceType, name };
}

/** alice may not `operation` on `resourceType` `name`, whatever else says so. */
export function deny(operation: AclOperation, resourceType: ResourceType, name: string): TestRule {
  return { principal: ALICE, operation, resourceType, name, permission: 'DENY' };
}
