// The entries the authorizer decides on, indexed for lookup by resource. A rule is a stored
// binding or a domain grant, in one shape: how its resource pattern matches a name, who, from
// where, which operation, allow or deny, and the reason a decision it makes reports.
//
// Per resource type: literal names in a map, Kafka's `*` wildcard in a list, prefixes in a
// map probed once per distinct prefix length (a few lengths however many prefixes), and the
// glob patterns of domain grants in a list tested one by one.
import { globMatches } from './name-pattern.js';
import { aclHostOf } from './acl-host.js';
import {
  WILDCARD,
  type AclBinding,
  type AclOperation,
  type AclPermission,
  type DecisionReason,
  type DomainGrant,
  type ResourceType,
} from './acl-model.js';

export type RuleMatch = 'literal' | 'wildcard' | 'prefix' | 'glob';

export interface AclRule {
  readonly resourceType: ResourceType;
  readonly match: RuleMatch;
  /** The literal name, the prefix or the glob; `*` for the wildcard. */
  readonly name: string;
  readonly principal: string;
  /** `*` or a host in the form client hosts are compared in (acl-host.ts). */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
  /** What a decision made by this rule reports. */
  readonly reason: DecisionReason;
}

export function ruleOfBinding(binding: AclBinding): AclRule {
  const wildcard = binding.patternType === 'LITERAL' && binding.resourceName === WILDCARD;
  return {
    resourceType: binding.resourceType,
    match: wildcard ? 'wildcard' : binding.patternType === 'LITERAL' ? 'literal' : 'prefix',
    name: binding.resourceName,
    principal: binding.principal,
    host: aclHostOf(binding.host),
    operation: binding.operation,
    permission: binding.permission,
    reason: Object.freeze({ kind: 'acl', binding }),
  };
}

export function ruleOfGrant(grant: DomainGrant, match: Exclude<RuleMatch, 'wildcard'>, name: string): AclRule {
  return {
    resourceType: grant.resourceType,
    match,
    name,
    principal: grant.principal,
    host: WILDCARD,
    operation: grant.operation,
    permission: 'ALLOW',
    reason: Object.freeze({ kind: 'domain-access', grant }),
  };
}

/** Whether the rule's resource pattern covers the name (who, where and what are not looked at). */
export function ruleCovers(rule: AclRule, name: string): boolean {
  switch (rule.match) {
    case 'literal':
      return rule.name === name;
    case 'wildcard':
      return true;
    case 'prefix':
      return name.startsWith(rule.name);
    case 'glob':
      return globMatches(rule.name, name);
  }
}

/** The rules of one resource type. */
export class TypeRules {
  readonly literals = new Map<string, AclRule[]>();
  readonly prefixes = new Map<string, AclRule[]>();
  /** Distinct prefix lengths, longest first, so the most specific prefix is met first. */
  prefixLengths: number[] = [];
  readonly globs: AclRule[] = [];
  readonly wildcard: AclRule[] = [];
  readonly all: AclRule[] = [];

  add(rule: AclRule): void {
    this.all.push(rule);
    switch (rule.match) {
      case 'literal':
        pushTo(this.literals, rule.name, rule);
        return;
      case 'prefix':
        if (!this.prefixes.has(rule.name)) this.prefixLengths.push(rule.name.length);
        pushTo(this.prefixes, rule.name, rule);
        return;
      case 'glob':
        this.globs.push(rule);
        return;
      case 'wildcard':
        this.wildcard.push(rule);
    }
  }

  seal(): void {
    this.prefixLengths = [...new Set(this.prefixLengths)].sort((a, b) => b - a);
  }
}

function pushTo(map: Map<string, AclRule[]>, key: string, rule: AclRule): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [rule]);
  else list.push(rule);
}

/** Every rule in effect, by resource type. Immutable once built; rebuilt on every change. */
export class AclRuleIndex {
  readonly size: number;
  private readonly byType = new Map<ResourceType, TypeRules>();

  constructor(rules: Iterable<AclRule>) {
    let n = 0;
    for (const rule of rules) {
      let t = this.byType.get(rule.resourceType);
      if (t === undefined) {
        t = new TypeRules();
        this.byType.set(rule.resourceType, t);
      }
      t.add(rule);
      n++;
    }
    for (const t of this.byType.values()) t.seal();
    this.size = n;
  }

  forType(type: ResourceType): TypeRules | undefined {
    return this.byType.get(type);
  }
}
