// The members moved groups had on their old coordinator (cutover-domain-state.ts
// FormerMembers), as this instance applies them: the hold filter takes their offset commits as
// commits of no member until the entry expires. While no entry is live, nothing is looked at.
import type { FormerMembers as FormerMembersState } from '../policy/cutover-domain-state.js';

export class FormerMembers {
  private readonly domains = new Map<string, { untilMs: number; groups: Map<string, ReadonlySet<string>> }>();
  /** The latest expiry of any entry: after it, `active` is false without a look at the entries. */
  private untilMs = 0;
  private readonly nowMs: () => number;

  constructor(nowMs: () => number = Date.now) {
    this.nowMs = nowMs;
  }

  get active(): boolean {
    return this.untilMs > 0 && this.nowMs() < this.untilMs;
  }

  /** Replaces a domain's entry (null: none). */
  set(domain: string, state: FormerMembersState | null): void {
    if (state === null || state.untilMs <= this.nowMs()) this.domains.delete(domain);
    else this.domains.set(domain, { untilMs: state.untilMs, groups: new Map(Object.entries(state.groups).map(([g, ids]) => [g, new Set(ids)])) });
    this.untilMs = Math.max(0, ...[...this.domains.values()].map((d) => d.untilMs));
  }

  /** Whether `memberId` was a member of `group` of `domain` on the coordinator the group moved from. */
  isFormer(domain: string, group: string, memberId: string): boolean {
    const d = this.domains.get(domain);
    return d !== undefined && this.nowMs() < d.untilMs && d.groups.get(group)?.has(memberId) === true;
  }
}
