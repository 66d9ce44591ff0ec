// Why a principal may or may not perform an operation on a resource: the decision, the rule
// that made it, and every rule that covers the resource with what each says about this
// question. What `GET /v1/acl/explain` and `turnout acl explain` show.
import type { AclOperation, AclPermission, DecisionReason, ResourceType } from './acl-model.js';
import { coveringRules, evaluateAcls, type AclSettings } from './acl-evaluate.js';
import { aclHostOf } from './acl-host.js';
import { reasonText } from './acl-reason-text.js';
import type { AclRuleIndex } from './acl-rules.js';

export interface ExplainQuestion {
  /** `User:alice`. */
  readonly principal: string;
  /** The client's IP, or null for a client that no host-specific rule names. */
  readonly host: string | null;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly resourceName: string;
}

export interface CoveringRule {
  /** A stored binding or a domain grant. */
  readonly source: DecisionReason;
  readonly text: string;
  /** What the rule says about this question: ALLOW, DENY, or null when its principal, host or operation does not apply. */
  readonly applies: AclPermission | null;
}

export interface AclExplanation {
  readonly principal: string;
  readonly host: string | null;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly resourceName: string;
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** The reason in one line. */
  readonly rule: string;
  /** Whether any rule covers the resource, for anyone: what allowEveryoneIfNoAclFound looks at. */
  readonly resourceHasAcls: boolean;
  readonly allowEveryoneIfNoAclFound: boolean;
  readonly rules: readonly CoveringRule[];
}

/** A host no rule names, so that only `*` rules apply. */
const NO_HOST = '';

export function explainDecision(index: AclRuleIndex, settings: AclSettings, loaded: boolean, q: ExplainQuestion): AclExplanation {
  const question = {
    principal: q.principal,
    host: q.host === null ? NO_HOST : aclHostOf(q.host),
    operation: q.operation,
    resourceType: q.resourceType,
    resourceName: q.resourceName,
  };
  const rules = coveringRules(index, question).map(({ rule, result }) => ({ source: rule.reason, text: reasonText(rule.reason), applies: result }));
  let decision = evaluateAcls(index, settings, question);
  if (!loaded && decision.reason.kind !== 'super-user') {
    decision = { allowed: false, reason: { kind: 'acls-not-loaded' }, resourceHasAcls: decision.resourceHasAcls };
  }
  return {
    principal: q.principal,
    host: q.host,
    operation: q.operation,
    resourceType: q.resourceType,
    resourceName: q.resourceName,
    allowed: decision.allowed,
    reason: decision.reason,
    rule: reasonText(decision.reason),
    resourceHasAcls: rules.length > 0,
    allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound,
    rules,
  };
}
