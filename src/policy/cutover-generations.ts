// The leader epoch generations of a switch. Each topic's new segment begins the generation
// after the highest the topic has known (on this instance, which shares its generations with
// the others through the identity store, and in the domain's chains), so a consumer's epochs only
// rise across the switch point. A partition without a chain yet gets its implicit first segment
// under the source's latest generation (the one its records were read under).
import type { LeaderEpochMap } from '../routing/leader-epoch-map.js';
import type { DomainCutoverState } from './cutover-domain-state.js';

export interface SwitchGenerations {
  /** Topic → the generation of its implicit first segment (the source's). */
  base: Record<string, number>;
  /** Topic → the generation of its new segment. */
  next: Record<string, number>;
}

export function switchGenerations(epochs: LeaderEpochMap, previous: DomainCutoverState | undefined, from: string, topics: Iterable<string>): SwitchGenerations {
  const base: Record<string, number> = {};
  const next: Record<string, number> = {};
  for (const topic of topics) {
    const known = epochs.generations(topic);
    let highest = -1;
    let fromLatest = -1;
    for (const g of known) {
      highest = Math.max(highest, g.generation);
      if (g.backend === from) fromLatest = Math.max(fromLatest, g.generation);
    }
    for (const chain of previous?.chains.get(topic) ?? []) {
      for (const seg of chain?.segments ?? []) {
        highest = Math.max(highest, seg.generation);
        if (seg.backend === from) fromLatest = Math.max(fromLatest, seg.generation);
      }
    }
    if (fromLatest < 0) {
      // Never served here: the source's records take a generation of their own first.
      fromLatest = highest + 1;
      highest = fromLatest;
    }
    base[topic] = fromLatest;
    next[topic] = highest + 1;
  }
  return { base, next };
}
