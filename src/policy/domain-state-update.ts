// A change to one domain's cutover state, written as a compare-and-set on the state's version
// (cutover-store.ts setDomainState) and tried again on a newer state when another domain's
// change got in first. `change` reads the domain's state as it is now; it throws to give up.
import { CutoverConflictError, type CutoverStore } from './cutover-store.js';
import type { DomainCutoverState } from './cutover-domain-state.js';

/** Attempts before a change that keeps losing to others' writes gives up. */
const ATTEMPTS = 20;

export class DomainStateMissingError extends Error {
  readonly domain: string;

  constructor(domain: string) {
    super(`domain ${domain} has no cutover state`);
    this.name = 'DomainStateMissingError';
    this.domain = domain;
  }
}

export async function updateDomainState(store: CutoverStore, domain: string, change: (current: DomainCutoverState) => DomainCutoverState): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const state = store.current();
    const current = state.domains.get(domain);
    if (current === undefined) throw new DomainStateMissingError(domain);
    const next = change(current);
    // Nothing to change: no write.
    if (next === current) return;
    try {
      await store.setDomainState(domain, next, state.version);
      return;
    } catch (err) {
      if (!(err instanceof CutoverConflictError) || err.reason !== 'version' || attempt >= ATTEMPTS) throw err;
      await store.refresh();
    }
  }
}
