// Kafka's authorization decision over a rule index, as StandardAuthorizerData makes it:
//
//   1. A super user is allowed everything, whatever the ACLs say.
//   2. The rules whose resource pattern covers the resource are looked at: the literal name,
//      every prefix of it, (domain grants' globs,) then the `*` wildcard. A rule applies when
//      its principal is the client's or `User:*`, its host is `*` or the client's IP, and its
//      operation is ALL or the one asked; an ALLOW of READ, WRITE, DELETE or ALTER also
//      allows DESCRIBE, and an ALLOW of ALTER_CONFIGS also allows DESCRIBE_CONFIGS (a DENY
//      implies nothing).
//   3. Any DENY that applies wins; else any ALLOW that applies allows.
//   4. Else, when no rule at all covers the resource (for anyone, any host, any operation),
//      `allowEveryoneIfNoAclFound` decides; when some rule covers it, the answer is deny.
//
// `evaluateAny` is Kafka's authorizeByResourceType: may the principal perform the operation on
// at least one resource of the type.
import type { AclRule, AclRuleIndex, TypeRules } from './acl-rules.js';
import { ruleCovers } from './acl-rules.js';
import type { AclOperation, AclPermission, AuthorizationDecision, ResourceType } from './acl-model.js';

/** The principal that stands for every principal in a rule. */
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclSettings {
  /** `User:alice` strings. */
  readonly superUsers: ReadonlySet<string>;
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** One question, with the principal as a string and the host already in compared form. */
export interface AclQuestion {
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly resourceName: string;
}

export interface AclEvaluation extends AuthorizationDecision {
  /** Whether any rule (for anyone) covers the resource: what allowEveryoneIfNoAclFound looks at. */
  readonly resourceHasAcls: boolean;
}

const IMPLIES_DESCRIBE: ReadonlySet<AclOperation> = new Set(['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER']);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<AclOperation> = new Set(['DESCRIBE_CONFIGS', 'ALTER_CONFIGS']);

const SUPER_USER: AclEvaluation = Object.freeze({ allowed: true, reason: Object.freeze({ kind: 'super-user' }), resourceHasAcls: false });
const ALLOW_EVERYONE: AclEvaluation = Object.freeze({
  allowed: true,
  reason: Object.freeze({ kind: 'no-acl-allow-everyone' }),
  resourceHasAcls: false,
});
const DEFAULT_DENY: AclEvaluation = Object.freeze({ allowed: false, reason: Object.freeze({ kind: 'no-matching-allow' }), resourceHasAcls: false });
const NO_MATCHING_ALLOW: AclEvaluation = Object.freeze({ allowed: false, reason: DEFAULT_DENY.reason, resourceHasAcls: true });

/** What a rule says about the question when its pattern covers the resource: ALLOW, DENY, or null when it does not apply. */
export function ruleResult(rule: AclRule, q: Pick<AclQuestion, 'principal' | 'host' | 'operation'>): AclPermission | null {
  if (rule.principal !== q.principal && rule.principal !== WILDCARD_PRINCIPAL) return null;
  if (rule.host !== '*' && rule.host !== q.host) return null;
  if (rule.operation !== 'ALL') {
    if (rule.permission === 'ALLOW') {
      if (q.operation === 'DESCRIBE') {
        if (!IMPLIES_DESCRIBE.has(rule.operation)) return null;
      } else if (q.operation === 'DESCRIBE_CONFIGS') {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(rule.operation)) return null;
      } else if (q.operation !== rule.operation) {
        return null;
      }
    } else if (q.operation !== rule.operation) {
      return null;
    }
  }
  return rule.permission;
}

/** Accumulates what the covering rules say; stops at the first DENY. */
class Scan {
  allow: AclRule | null = null;
  deny: AclRule | null = null;
  covered = false;
  private readonly q: AclQuestion;

  constructor(q: AclQuestion) {
    this.q = q;
  }

  /** Looks at rules that cover the resource; true once a DENY applies. */
  take(rules: readonly AclRule[] | undefined): boolean {
    if (rules === undefined || rules.length === 0) return false;
    this.covered = true;
    for (const rule of rules) {
      const r = ruleResult(rule, this.q);
      if (r === 'DENY') {
        this.deny = rule;
        return true;
      }
      if (r === 'ALLOW' && this.allow === null) this.allow = rule;
    }
    return false;
  }

  /** Like `take`, for rules that still have to be matched against the name. */
  takeCovering(rules: readonly AclRule[]): boolean {
    for (const rule of rules) if (ruleCovers(rule, this.q.resourceName) && this.take([rule])) return true;
    return false;
  }
}

function scanSpecific(t: TypeRules, scan: Scan, name: string): boolean {
  if (scan.take(t.literals.get(name))) return true;
  for (const length of t.prefixLengths) {
    if (length > name.length) continue;
    if (scan.take(t.prefixes.get(name.slice(0, length)))) return true;
  }
  return scan.takeCovering(t.globs);
}

export function evaluateAcls(index: AclRuleIndex, settings: AclSettings, q: AclQuestion): AclEvaluation {
  if (settings.superUsers.has(q.principal)) return SUPER_USER;
  const t = index.forType(q.resourceType);
  if (t === undefined) return settings.allowEveryoneIfNoAclFound ? ALLOW_EVERYONE : DEFAULT_DENY;
  const scan = new Scan(q);
  if (!scanSpecific(t, scan, q.resourceName)) scan.take(t.wildcard);
  if (scan.deny !== null) return { allowed: false, reason: scan.deny.reason, resourceHasAcls: true };
  if (scan.allow !== null) return { allowed: true, reason: scan.allow.reason, resourceHasAcls: true };
  if (scan.covered) return NO_MATCHING_ALLOW;
  return settings.allowEveryoneIfNoAclFound ? ALLOW_EVERYONE : DEFAULT_DENY;
}

/** The name Kafka's authorizeByResourceType first asks about, to let super users and `*` grants through. */
const PROBE_NAME = 'hardcode';

/** The fixed start of a glob, up to its first wildcard: every name it matches starts with it. */
function globHead(glob: string): string {
  const i = glob.search(/[*?]/);
  return i < 0 ? glob : glob.slice(0, i);
}

/**
 * Kafka's authorizeByResourceType (the Authorizer interface's default, which StandardAuthorizer
 * keeps): allowed if a made-up name is allowed (super users, a `*` grant, or no ACL at all
 * with allowEveryoneIfNoAclFound); denied by a `*` DENY; else allowed when some ALLOW's
 * pattern is not cancelled by a DENY of the same literal name or of a prefix of it. Only
 * exact operations and ALL count here (no DESCRIBE implication), as in Kafka. A domain
 * grant's glob counts as an ALLOW of its fixed start.
 */
export function evaluateAny(
  index: AclRuleIndex,
  settings: AclSettings,
  q: Omit<AclQuestion, 'resourceName'>,
): boolean {
  if (evaluateAcls(index, settings, { ...q, resourceName: PROBE_NAME }).allowed) return true;
  const t = index.forType(q.resourceType);
  if (t === undefined) return false;
  const denyLiterals = new Set<string>();
  const denyPrefixes = new Set<string>();
  const allowLiterals: string[] = [];
  const allowPrefixes: string[] = [];
  let wildcardAllow = false;
  for (const rule of t.all) {
    if (rule.host !== '*' && rule.host !== q.host) continue;
    if (rule.principal !== q.principal && rule.principal !== WILDCARD_PRINCIPAL) continue;
    if (rule.operation !== q.operation && rule.operation !== 'ALL') continue;
    if (rule.permission === 'DENY') {
      if (rule.match === 'wildcard') return false;
      if (rule.match === 'prefix') denyPrefixes.add(rule.name);
      else denyLiterals.add(rule.name);
      continue;
    }
    if (rule.match === 'wildcard') wildcardAllow = true;
    else if (rule.match === 'literal') allowLiterals.push(rule.name);
    else allowPrefixes.push(rule.match === 'glob' ? globHead(rule.name) : rule.name);
  }
  if (wildcardAllow) return true;
  const dominated = (name: string): boolean => {
    for (let n = 1; n <= name.length; n++) if (denyPrefixes.has(name.slice(0, n))) return true;
    return false;
  };
  for (const name of allowLiterals) if (!denyLiterals.has(name) && !dominated(name)) return true;
  for (const name of allowPrefixes) if (!dominated(name)) return true;
  return false;
}

/** The rules that cover a resource, for explaining a decision: each with what it says about the question. */
export function coveringRules(index: AclRuleIndex, q: AclQuestion): Array<{ rule: AclRule; result: AclPermission | null }> {
  const t = index.forType(q.resourceType);
  if (t === undefined) return [];
  return t.all.filter((rule) => ruleCovers(rule, q.resourceName)).map((rule) => ({ rule, result: ruleResult(rule, q) }));
}
