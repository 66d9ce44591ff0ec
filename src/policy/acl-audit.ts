// The denial audit: each denied (principal, resource, operation) is logged once per interval,
// with the client's host and the rule that decided, so a misbehaving client cannot flood the
// log. Memory stays bounded: at most `maxEntries` distinct denials are remembered per
// interval; past that, denials are only counted, and the count is logged when the interval ends.
import type { Logger } from '../observability/logger.js';
import type { AuthorizationDecision } from './acl-model.js';
import type { AclQuestion } from './acl-evaluate.js';
import { reasonText } from './acl-reason-text.js';

export interface DenialAuditOptions {
  log: Logger;
  intervalMs: number;
  /** Distinct denials remembered per interval. (default: 10000) */
  maxEntries?: number;
  /** The clock, for tests. (default: Date.now) */
  now?: () => number;
}

export class DenialAudit {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly seen = new Set<string>();
  private windowEndsAt = 0;
  private unlogged = 0;

  constructor(opts: DenialAuditOptions) {
    this.log = opts.log;
    this.intervalMs = opts.intervalMs;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  denied(q: AclQuestion, decision: AuthorizationDecision): void {
    const now = this.now();
    if (now >= this.windowEndsAt) this.startWindow(now);
    const key = `${q.operation} ${q.resourceType} ${q.principal.length}:${q.principal}${q.resourceName}`;
    if (this.seen.has(key)) return;
    if (this.seen.size >= this.maxEntries) {
      this.unlogged++;
      return;
    }
    this.seen.add(key);
    this.log.info(
      {
        principal: q.principal,
        host: q.host,
        operation: q.operation,
        resourceType: q.resourceType,
        resourceName: q.resourceName,
        rule: reasonText(decision.reason),
        intervalMs: this.intervalMs,
      },
      'authorization denied',
    );
  }

  private startWindow(now: number): void {
    if (this.unlogged > 0) {
      this.log.warn(
        { unlogged: this.unlogged, distinctLogged: this.seen.size, intervalMs: this.intervalMs },
        'more distinct authorization denials than the audit keeps per interval; the rest were counted, not logged',
      );
    }
    this.seen.clear();
    this.unlogged = 0;
    this.windowEndsAt = now + this.intervalMs;
  }
}
