// The consumer groups each domain's transactional producers commit offsets for (AddOffsetsToTxn,
// TxnOffsetCommit), as this instance saw them pass. An exactly-once application commits its
// group's offsets inside its transaction, so the group must be coordinated on the cluster its
// transactional id is: a cutover moves these groups together with the domain's transactional
// ids (src/policy/cutover-coordinator.ts), and each instance reports the ones it saw when it
// confirms the drain (src/policy/cutover-participant.ts). Once moved, a group is kept in the
// domain's cutover state, so every instance knows it from then on.

/** Groups remembered at most per domain; beyond, the oldest are forgotten (the store keeps the moved ones). */
const MAX_GROUPS_PER_DOMAIN = 10_000;

export class TransactionalGroups {
  /** domain → group ids, in the order first seen. */
  private readonly domains = new Map<string, Set<string>>();

  /** A transactional producer of `domain` named `group` in its transaction. */
  seen(domain: string, group: string): void {
    let groups = this.domains.get(domain);
    if (groups === undefined) this.domains.set(domain, (groups = new Set()));
    if (groups.has(group)) return;
    if (groups.size >= MAX_GROUPS_PER_DOMAIN) groups.delete(groups.values().next().value as string);
    groups.add(group);
  }

  /** The groups seen for a domain, sorted. */
  of(domain: string): string[] {
    return [...(this.domains.get(domain) ?? [])].sort();
  }

  /** Whether `group` was seen for `domain`. */
  has(domain: string, group: string): boolean {
    return this.domains.get(domain)?.has(group) === true;
  }
}
