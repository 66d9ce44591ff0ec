// The audit trail of denials: each (principal, resource, operation) denied is logged once per
// interval, with the rule that decided it, so a client retrying a denied produce in a tight
// loop writes one line a minute, not thousands. Memory stays bounded: at most `maxKeys`
// distinct denials are remembered per interval; beyond that they are counted and the count
// is logged when the interval ends.
import { principalString } from '../../auth/principal.js';
import type { AuthorizationDecision, AuthorizationRequest, DecisionReason } from '../../policy/acl-model.js';
import type { Logger } from '../../observability/logger.js';

export interface DenialAuditOptions {
  readonly log: Logger;
  /** How long a logged denial stays quiet. Default one minute. */
  readonly intervalMs?: number;
  /** Distinct denials remembered per interval. Default 10,000. */
  readonly maxKeys?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_MAX_KEYS = 10_000;

export class DenialAudit {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly seen = new Map<string, number>();
  private windowStart: number;
  private overflow = 0;

  constructor(opts: DenialAuditOptions) {
    this.log = opts.log;
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    this.now = opts.now ?? Date.now;
    this.windowStart = this.now();
  }

  /** Records a denial the filter enforces; logs it unless the same denial was logged this interval. */
  denied(request: AuthorizationRequest, decision: AuthorizationDecision, api: string): void {
    this.roll();
    const principal = principalString(request.principal);
    const key = `${principal}\u0000${request.resourceType}\u0000${request.resourceName}\u0000${request.operation}`;
    const count = this.seen.get(key);
    if (count !== undefined) {
      this.seen.set(key, count + 1);
      return;
    }
    if (this.seen.size >= this.maxKeys) {
      this.overflow++;
      return;
    }
    this.seen.set(key, 1);
    this.log.warn(
      {
        principal,
        host: request.host,
        operation: request.operation,
        resourceType: request.resourceType,
        resourceName: request.resourceName,
        api,
        rule: describeReason(decision.reason),
      },
      'authorization denied',
    );
  }

  private roll(): void {
    const now = this.now();
    if (now - this.windowStart < this.intervalMs) return;
    const repeated = [...this.seen.values()].reduce((sum, n) => sum + n - 1, 0);
    if (repeated > 0 || this.overflow > 0) {
      this.log.info({ repeatedDenials: repeated, unloggedDenials: this.overflow, intervalMs: this.intervalMs }, 'authorization denials not logged again this interval');
    }
    this.seen.clear();
    this.overflow = 0;
    this.windowStart = now;
  }
}

/** The rule behind a decision, as an audit line names it. */
export function describeReason(reason: DecisionReason): string {
  switch (reason.kind) {
    case 'acl': {
      const b = reason.binding;
      return `${b.permission} ${b.operation} on ${b.resourceType} ${b.patternType} '${b.resourceName}' for ${b.principal} from ${b.host}`;
    }
    case 'super-user':
      return 'super user';
    case 'no-acl-allow-everyone':
      return 'no ACL on the resource, and allowEveryoneIfNoAclFound';
    case 'no-matching-allow':
      return 'no ACL allows it';
    case 'authorization-off':
      return 'authorization is off';
  }
}
