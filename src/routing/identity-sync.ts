// Keeps this instance's virtual topic ids and leader epoch generations in step with a shared
// IdentityStore, so that every Turnout instance of a virtual cluster presents the same ids and
// epochs (a client may reach any of them).
//
// - Loading: on start and after every reconnection everything stored is adopted, and what this
//   instance decided that the store lacks (decided while the store was unreachable, or a
//   store restarted empty) is written. `loaded` turns true after the first load; readiness
//   waits for it.
// - Local changes (the maps' onChange / onGeneration, called while a request is routed) are
//   queued and written in the background; the store answers with what it holds, which is
//   adopted: another instance's earlier decision wins, and the maps were built so that losing
//   never shows a client an epoch lower than one it was shown (see leader-epoch-map.ts).
// - Changes of other instances are adopted as they are announced. Stored topic entries carry
//   a revision; an announcement older than what this instance holds is ignored, and one for a
//   topic with a local change in flight is held until the store has answered that change, so
//   an answer and an announcement arriving in either order end in the newer one.
// - A write that fails (store unreachable) stays queued and is retried after a second and on
//   reconnection; until then the instance keeps serving what it decided itself.
import type { Logger } from '../observability/logger.js';
import type { LeaderEpochMap, GenerationClaim } from './leader-epoch-map.js';
import type { TopicIdEntry, TopicIdMap, TopicIdMapChange } from './topic-id-map.js';
import type { IdentityChange, IdentityStore, StoredGeneration, StoredIdentities, StoredTopicId } from './identity-store.js';

export interface SharedIdentitiesOptions {
  topicIds: TopicIdMap;
  epochs: LeaderEpochMap;
  store: IdentityStore;
  log: Logger;
  /** Called once, after the stored identities were first loaded. */
  onLoaded?: () => void;
  /** Wait before retrying a failed load or write, in ms. (default: 1000) */
  retryMs?: number;
}

/** A stored state of one topic: its entry, or its deletion. */
type TopicState = { kind: 'topic'; entry: StoredTopicId } | { kind: 'forget'; name: string; virtualId: string; rev: number };

function revOf(s: TopicState): number {
  return s.kind === 'topic' ? s.entry.rev : s.rev;
}

function generationKey(topic: string, generation: number): string {
  return `${topic}/${generation}`;
}

export class SharedIdentities {
  private readonly topicIds: TopicIdMap;
  private readonly epochs: LeaderEpochMap;
  private readonly store: IdentityStore;
  private readonly log: Logger;
  private readonly onLoaded: (() => void) | undefined;
  private readonly retryMs: number;
  /** Name → the newest stored state this instance applied (its revision and virtual id). */
  private readonly applied = new Map<string, { rev: number; virtualId: string | null }>();
  /** Topics changed here and not written yet. */
  private readonly dirty = new Set<string>();
  /** Topics forgotten here and not written yet: name → the forgotten virtual id. */
  private readonly forgotten = new Map<string, string>();
  /** Topics with a write in flight. */
  private readonly inFlight = new Set<string>();
  /** The newest announced state of a topic that had a local change pending. */
  private readonly held = new Map<string, TopicState>();
  /** Generations begun here and not written yet. */
  private claims: GenerationClaim[] = [];
  private loadedOnce = false;
  private loading: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failureLogged = false;
  private closed = false;
  private readonly unsubscribe: Array<() => void>;

  constructor(opts: SharedIdentitiesOptions) {
    this.topicIds = opts.topicIds;
    this.epochs = opts.epochs;
    this.store = opts.store;
    this.log = opts.log.child({ component: 'shared-identities' });
    this.onLoaded = opts.onLoaded;
    this.retryMs = opts.retryMs ?? 1_000;
    this.unsubscribe = [this.topicIds.onChange((c) => this.onLocalTopic(c)), this.epochs.onGeneration((c) => this.onLocalClaim(c))];
    this.store.onChange((c) => this.onRemote(c));
    this.store.onConnected(() => this.reload());
  }

  /** True once the stored identities were loaded (and stays true through later outages). */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Local changes not yet in the store. */
  get pendingWrites(): number {
    return this.dirty.size + this.forgotten.size + this.claims.length + this.inFlight.size;
  }

  /** Connects the store; the first load follows when it is reachable. */
  start(): void {
    this.store.start();
  }

  /** Loads what is stored (again); resolves when done or failed (a failure is retried). */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Resolves when every queued write was tried. */
  async flushed(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await this.loading?.catch(() => undefined);
    await this.flushing?.catch(() => undefined);
    await this.store.close();
  }

  private async loadOnce(): Promise<void> {
    let stored: StoredIdentities;
    try {
      stored = await this.store.load();
    } catch (err) {
      this.failed(err, 'cannot load the shared topic ids and leader epochs');
      return;
    }
    if (this.closed) return;
    this.applyLoaded(stored);
    if (!this.loadedOnce) {
      this.loadedOnce = true;
      this.log.info({ topics: stored.topics.length, generations: stored.generations.length }, 'shared topic ids and leader epochs loaded');
      this.onLoaded?.();
    }
    this.failureLogged = false;
    this.scheduleFlush();
  }

  private applyLoaded(stored: StoredIdentities): void {
    const names = new Set<string>();
    for (const entry of stored.topics) {
      names.add(entry.name);
      this.applyRemote({ kind: 'topic', entry });
    }
    // What this instance decided that the store lacks: it was unreachable, or restarted empty.
    for (const e of this.topicIds.entries()) if (!names.has(e.name)) this.dirty.add(e.name);
    const keys = new Set<string>();
    for (const g of stored.generations) {
      keys.add(generationKey(g.topic, g.generation));
      this.adoptGeneration(g);
    }
    for (const e of this.epochs.entries()) {
      for (const g of e.generations) if (!keys.has(generationKey(e.topic, g.generation))) this.claims.push({ topic: e.topic, ...g });
    }
  }

  private onLocalTopic(change: TopicIdMapChange): void {
    if (change.kind === 'set') {
      this.forgotten.delete(change.entry.name);
      this.dirty.add(change.entry.name);
    } else {
      this.dirty.delete(change.name);
      this.forgotten.set(change.name, change.virtualId);
    }
    this.scheduleFlush();
  }

  private onLocalClaim(claim: GenerationClaim): void {
    this.claims.push(claim);
    this.scheduleFlush();
  }

  private onRemote(change: IdentityChange): void {
    if (this.closed) return;
    if (change.kind === 'generation') this.adoptGeneration(change.generation);
    else this.applyRemote(change);
  }

  /** Applies a stored state of a topic, unless this instance holds a newer one or has a change of it pending. */
  private applyRemote(state: TopicState): void {
    const name = state.kind === 'topic' ? state.entry.name : state.name;
    if (revOf(state) <= (this.applied.get(name)?.rev ?? 0)) return;
    if (this.dirty.has(name) || this.forgotten.has(name) || this.inFlight.has(name)) {
      const held = this.held.get(name);
      if (held === undefined || revOf(held) < revOf(state)) this.held.set(name, state);
      return;
    }
    if (state.kind === 'topic') {
      this.applied.set(name, { rev: state.entry.rev, virtualId: state.entry.virtualId });
      try {
        this.topicIds.adopt(state.entry);
      } catch (err) {
        this.log.error({ err, topic: name, virtualId: state.entry.virtualId }, 'cannot adopt a shared topic id');
      }
    } else {
      this.applied.set(name, { rev: state.rev, virtualId: null });
      this.topicIds.adoptForget(name, state.virtualId);
    }
  }

  /** After the store answered a write of `name`: applies the newest of its answer and what was held meanwhile. */
  private settle(name: string, answer: TopicState | null): void {
    const held = this.held.get(name);
    let newest = answer;
    if (held !== undefined && (newest === null || revOf(held) > revOf(newest))) newest = held;
    if (newest === null) return;
    if (this.dirty.has(name) || this.forgotten.has(name)) {
      // Another local change is queued: its answer settles the topic.
      this.held.set(name, newest);
      return;
    }
    this.held.delete(name);
    this.applyRemote(newest);
  }

  private adoptGeneration(g: StoredGeneration): void {
    try {
      this.epochs.adoptGeneration(g.topic, g.generation, g.backend);
    } catch (err) {
      this.log.error({ err, topic: g.topic, generation: g.generation, backend: g.backend }, 'cannot adopt a shared leader epoch generation');
    }
  }

  private scheduleFlush(): void {
    if (this.closed || this.flushing !== null || !this.hasWork()) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      // Work queued while the loop was ending.
      if (this.retryTimer === null) this.scheduleFlush();
    });
  }

  private hasWork(): boolean {
    return this.dirty.size > 0 || this.forgotten.size > 0 || this.claims.length > 0;
  }

  private async flushLoop(): Promise<void> {
    while (!this.closed && this.hasWork()) {
      const names = [...this.dirty];
      const forgets = [...this.forgotten];
      const claims = this.claims;
      this.dirty.clear();
      this.forgotten.clear();
      this.claims = [];
      const results = await Promise.allSettled([
        ...names.map((n) => this.writeTopic(n)),
        ...forgets.map(([n, v]) => this.forgetTopic(n, v)),
        ...claims.map((c) => this.claim(c)),
      ]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure !== undefined) {
        this.failed(failure.reason, 'cannot write shared topic ids and leader epochs; retrying');
        return;
      }
    }
  }

  private async writeTopic(name: string): Promise<void> {
    const entry = this.topicIds.entryOf(name);
    if (entry === undefined) return;
    this.inFlight.add(name);
    let stored: StoredTopicId;
    try {
      stored = await this.store.writeTopic(entry, this.applied.get(name)?.virtualId ?? null);
    } catch (err) {
      if (!this.forgotten.has(name)) this.dirty.add(name);
      throw err;
    } finally {
      this.inFlight.delete(name);
    }
    this.settle(name, { kind: 'topic', entry: stored });
    if (stored.virtualId !== entry.virtualId && this.topicIds.virtualIdOf(name) === stored.virtualId) {
      this.log.info({ topic: name, own: entry.virtualId, stored: stored.virtualId }, 'another instance assigned the topic id first; adopted it');
      this.keepOwnBindings(entry, stored);
    }
  }

  /**
   * After adopting another instance's id for a topic: what this instance observed (the
   * serving backend and its real id, bindings the store lacks) still holds, and is written.
   */
  private keepOwnBindings(own: TopicIdEntry, stored: StoredTopicId): void {
    const realIds = { ...own.realIds, ...stored.realIds };
    if (own.servingBackend !== null) realIds[own.servingBackend] = own.realIds[own.servingBackend];
    const merged = { name: own.name, virtualId: stored.virtualId, servingBackend: own.servingBackend ?? stored.servingBackend, realIds };
    try {
      this.topicIds.adopt(merged);
    } catch (err) {
      this.log.error({ err, topic: own.name }, 'cannot keep the bindings of a topic after adopting its shared id');
      return;
    }
    if (Object.entries(realIds).some(([b, r]) => stored.realIds[b] !== r)) {
      this.dirty.add(own.name);
      this.scheduleFlush();
    }
  }

  private async forgetTopic(name: string, virtualId: string): Promise<void> {
    this.inFlight.add(name);
    let rev: number;
    try {
      rev = await this.store.forgetTopic(name, virtualId);
    } catch (err) {
      if (!this.dirty.has(name)) this.forgotten.set(name, virtualId);
      throw err;
    } finally {
      this.inFlight.delete(name);
    }
    this.settle(name, rev > 0 ? { kind: 'forget', name, virtualId, rev } : null);
  }

  private async claim(c: GenerationClaim): Promise<void> {
    let holder: string;
    try {
      holder = await this.store.claimGeneration(c);
    } catch (err) {
      this.claims.push(c);
      throw err;
    }
    if (holder !== c.backend) {
      this.log.info({ topic: c.topic, generation: c.generation, own: c.backend, stored: holder }, 'another instance began the leader epoch generation first; adopting it');
      this.adoptGeneration({ topic: c.topic, generation: c.generation, backend: holder });
    }
  }

  private failed(err: unknown, what: string): void {
    if (this.closed) return;
    if (!this.failureLogged) {
      this.failureLogged = true;
      this.log.warn({ err: err instanceof Error ? err.message : String(err), pending: this.pendingWrites }, what);
    }
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // A reload also writes whatever is queued.
      void this.reload();
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
