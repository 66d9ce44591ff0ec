// The policy as routing must see it once domains have been cut over: the policy store's
// snapshot with each cut-over domain's backend taken from the cutover state. The backend is
// part of the same store write as the domain's new segments, so an instance applies both at
// once (a separate policy write could land before or after them, or not at all on a crash,
// and route a domain's produce to one backend while its chains end on another); and it
// survives a restart on the file store, whose `setDomainBackend` lasts only in memory.
//
// It is a policy store to its users (routing, the domain API): reads come from the wrapped
// store with the overlay, and `setDomainBackend` is refused for a domain that has segments or
// a cutover in progress, since only a cutover may move it without splitting its logs.
import type { Logger } from '../observability/logger.js';
import { PolicySnapshot } from './policy-snapshot.js';
import {
  PolicyChangeError,
  PolicyListeners,
  type PolicyListener,
  type PolicyStore,
  type PolicyStoreHealth,
  type ReloadResult,
} from './policy-store.js';
import type { CutoverState } from './cutover-state.js';
import type { CutoverStore } from './cutover-store.js';

export interface CutoverPolicyViewOptions {
  /** The policy store; null when the policy is fixed (started without a store). */
  inner: PolicyStore | null;
  /** The policy when there is no store. */
  fixed: PolicySnapshot;
  cutovers: CutoverStore;
  log: Logger;
}

export class CutoverPolicyView implements PolicyStore {
  readonly kind: 'file' | 'redis';
  private readonly inner: PolicyStore | null;
  private readonly fixed: PolicySnapshot;
  private readonly cutovers: CutoverStore;
  private readonly listeners: PolicyListeners;
  private readonly unsubscribe: Array<() => void>;
  private base: PolicySnapshot | null = null;
  private overlayVersion = -1;
  private snapshot: PolicySnapshot;

  constructor(opts: CutoverPolicyViewOptions) {
    this.inner = opts.inner;
    this.kind = opts.inner?.kind ?? 'file';
    this.fixed = opts.fixed;
    this.cutovers = opts.cutovers;
    this.listeners = new PolicyListeners(opts.log.child({ component: 'cutover-policy-view' }));
    this.snapshot = this.build();
    this.unsubscribe = [this.cutovers.subscribe(() => this.changed())];
    if (opts.inner !== null) this.unsubscribe.push(opts.inner.subscribe(() => this.changed()));
  }

  /** Cheap while nothing changed: two comparisons. */
  current(): PolicySnapshot {
    const base = this.inner?.current() ?? this.fixed;
    if (base !== this.base || this.cutovers.current().version !== this.overlayVersion) this.snapshot = this.build();
    return this.snapshot;
  }

  subscribe(listener: PolicyListener): () => void {
    return this.listeners.add(listener);
  }

  async setDomainBackend(domain: string, backend: string): Promise<PolicySnapshot> {
    const state = this.cutovers.current();
    const active = state.activeOf(domain);
    if (active !== undefined) {
      throw new PolicyChangeError('cutover', domain, backend, `domain ${domain} has cutover ${active.id} in progress (${active.phase}); abort it or let it finish`);
    }
    if (state.domains.has(domain)) {
      throw new PolicyChangeError('cutover', domain, backend, `domain ${domain} has offset segments from a cutover: move it with a cutover (turnout cutover start ${domain} --to ${backend})`);
    }
    if (this.inner === null) throw new PolicyChangeError('store-unavailable', domain, backend, 'the policy is fixed: Turnout was started without a policy store');
    await this.inner.setDomainBackend(domain, backend);
    return this.current();
  }

  reload(): Promise<ReloadResult> {
    if (this.inner === null) return Promise.resolve({ changed: false, version: this.current().version, error: null });
    return this.inner.reload();
  }

  health(): PolicyStoreHealth {
    return this.inner?.health() ?? { kind: 'file', ready: true, lastError: null, version: this.current().version };
  }

  /** Stops following the stores; the wrapped store is its owner's to close. */
  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
  }

  private changed(): void {
    const previous = this.snapshot;
    const next = this.current();
    if (next !== previous && !next.samePolicyAs(previous)) this.listeners.notify(next, previous);
  }

  private build(): PolicySnapshot {
    const base = this.inner?.current() ?? this.fixed;
    const state = this.cutovers.current();
    this.base = base;
    this.overlayVersion = state.version;
    if (state.domains.size === 0) return base;
    return new PolicySnapshot(base.document, base.version, overridesOf(base, state));
  }
}

/** The store's moved domains, with the cut-over domains' backends on top. */
function overridesOf(base: PolicySnapshot, state: CutoverState): Map<string, string> {
  const overrides = new Map(base.backendOverrides);
  for (const [domain, d] of state.domains) if (base.domains.has(domain)) overrides.set(domain, d.backend);
  return overrides;
}
