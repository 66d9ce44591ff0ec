// The Authorizer the request pipeline asks: Kafka's decision (acl-evaluate.ts) over the
// stored bindings and the domains' grants, cached per (principal, host, operation, resource),
// counted, and audited when it denies.
//
// The rule index is built from the current bindings on first use after a change; every
// change of the bindings (the store notifies) or of the domains' grants (`invalidate()`)
// drops the index and the cached decisions, so a change applies to open connections at
// their next request.
import { principalString, type KafkaPrincipal } from '../auth/principal.js';
import type { AuthzMetrics } from '../observability/authz-metrics.js';
import type {
  AclBinding,
  AclOperation,
  AuthorizationDecision,
  AuthorizationRequest,
  Authorizer,
  ResourceType,
} from './acl-model.js';
import { DecisionCache } from './acl-decision-cache.js';
import { evaluateAcls, evaluateAny, type AclQuestion, type AclSettings } from './acl-evaluate.js';
import { explainDecision, type AclExplanation, type ExplainQuestion } from './acl-explain.js';
import { aclHostOf } from './acl-host.js';
import { AclRuleIndex, ruleOfBinding, type AclRule } from './acl-rules.js';
import type { DenialAudit } from './acl-audit.js';

/** Stored bindings as the authorizer reads them. */
export interface AclBindingSource {
  /** False until the bindings have been read once (a shared store): only super users are allowed until then. */
  readonly loaded: boolean;
  bindings(): readonly AclBinding[];
  /** Called after every change of the bindings (and once they are first loaded); returns an unsubscribe. */
  subscribe(listener: () => void): () => void;
}

export interface AclAuthorizerOptions {
  settings: AclSettings;
  bindings: AclBindingSource;
  /** The domains' grants, read again after each `invalidate()`. (default: none) */
  domainRules?: () => readonly AclRule[];
  /** Decisions remembered; 0 turns the cache off. */
  cacheSize: number;
  audit?: DenialAudit;
  metrics?: AuthzMetrics;
}

const NOT_LOADED: AuthorizationDecision = Object.freeze({ allowed: false, reason: Object.freeze({ kind: 'acls-not-loaded' }) });
const OFF: AuthorizationDecision = Object.freeze({ allowed: true, reason: Object.freeze({ kind: 'authorization-off' }) });

/** The authorizer of a Turnout without `authorization`: everything is allowed and nothing is decoded for it. */
export const OPEN_AUTHORIZER: Authorizer = Object.freeze({
  enabled: false,
  authorize: () => OFF,
  authorizeAny: () => true,
});

export class AclAuthorizer implements Authorizer {
  readonly enabled = true;
  readonly settings: AclSettings;
  private readonly source: AclBindingSource;
  private readonly domainRules: () => readonly AclRule[];
  private readonly cache: DecisionCache;
  private readonly audit: DenialAudit | null;
  private readonly metrics: AuthzMetrics | null;
  private readonly unsubscribe: () => void;
  private index: AclRuleIndex | null = null;
  private readonly principalTexts = new WeakMap<KafkaPrincipal, string>();

  constructor(opts: AclAuthorizerOptions) {
    this.settings = opts.settings;
    this.source = opts.bindings;
    this.domainRules = opts.domainRules ?? (() => []);
    this.cache = new DecisionCache(opts.cacheSize);
    this.audit = opts.audit ?? null;
    this.metrics = opts.metrics ?? null;
    this.unsubscribe = this.source.subscribe(() => this.invalidate());
  }

  authorize(request: AuthorizationRequest): AuthorizationDecision {
    const { operation, resourceType, resourceName } = request;
    const principal = this.principalText(request.principal);
    // Cached under the host as the connection gives it; compared in Java's form.
    let decision = this.cache.get(principal, request.host, operation, resourceType, resourceName);
    if (decision === undefined) {
      decision = this.decide({ principal, host: aclHostOf(request.host), operation, resourceType, resourceName });
      this.cache.set(principal, request.host, operation, resourceType, resourceName, decision);
    }
    this.metrics?.decision(decision.allowed, resourceType, operation);
    if (!decision.allowed && request.audit !== false) {
      this.audit?.denied({ principal, host: aclHostOf(request.host), operation, resourceType, resourceName }, decision);
    }
    return decision;
  }

  authorizeAny(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType): boolean {
    const p = principalString(principal);
    if (!this.source.loaded && !this.settings.superUsers.has(p)) return false;
    return evaluateAny(this.currentIndex(), this.settings, { principal: p, host: aclHostOf(host), operation, resourceType });
  }

  /** The decision with every rule that covers the resource; `host` null asks for a client no host-specific rule names. */
  explain(q: ExplainQuestion): AclExplanation {
    return explainDecision(this.currentIndex(), this.settings, this.source.loaded, q);
  }

  /** Drops the rule index and every cached decision: the next decision reads the current rules. */
  invalidate(): void {
    this.index = null;
    this.cache.clear();
  }

  /** Decisions cached now (for tests and diagnostics). */
  get cachedDecisions(): number {
    return this.cache.size;
  }

  close(): void {
    this.unsubscribe();
    this.invalidate();
  }

  /** `User:alice`, made once per principal object (a connection keeps its principal). */
  private principalText(p: KafkaPrincipal): string {
    let text = this.principalTexts.get(p);
    if (text === undefined) {
      text = principalString(p);
      this.principalTexts.set(p, text);
    }
    return text;
  }

  private decide(q: AclQuestion): AuthorizationDecision {
    if (!this.source.loaded && !this.settings.superUsers.has(q.principal)) return NOT_LOADED;
    const e = evaluateAcls(this.currentIndex(), this.settings, q);
    return { allowed: e.allowed, reason: e.reason };
  }

  private currentIndex(): AclRuleIndex {
    if (this.index === null) {
      const rules: AclRule[] = this.source.bindings().map(ruleOfBinding);
      for (const r of this.domainRules()) rules.push(r);
      this.index = new AclRuleIndex(rules);
    }
    return this.index;
  }
}
