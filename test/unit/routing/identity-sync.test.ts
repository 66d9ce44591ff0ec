import { describe, expect, it } from 'vitest';
import type { IdentityChange, IdentityStore, StoredGeneration, StoredIdentities, StoredTopicId } from '../../../src/routing/identity-store.js';
import { SharedIdentities } from '../../../src/routing/identity-sync.js';
import { createLogger } from '../../../src/observability/logger.js';
import { GENERATION_STRIDE, LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { TopicIdMap, type TopicIdEntry } from '../../../src/routing/topic-id-map.js';

const S = GENERATION_STRIDE;
const REAL_MAIN = 'rMAINAAAAAAAAAAAAAAAAA';
const REAL_MAIN2 = 'rMAIN2AAAAAAAAAAAAAAAA';
const REAL_LEGACY = 'rLEGACYAAAAAAAAAAAAAAA';
const log = createLogger({ level: 'silent' });

/** The shared state, with the rules of identity-store.ts, and its announcements held until `deliver`. */
class FakeShared {
  readonly topics = new Map<string, StoredTopicId>();
  readonly generations = new Map<string, string>();
  rev = 0;
  down = false;
  readonly clients: FakeStore[] = [];
  /** Announcements not delivered yet, in write order. */
  queue: Array<{ from: FakeStore; change: IdentityChange }> = [];

  announce(from: FakeStore, change: IdentityChange): void {
    this.queue.push({ from, change });
  }

  /** Delivers the queued announcements to every other client. */
  deliver(): void {
    const q = this.queue;
    this.queue = [];
    for (const { from, change } of q) for (const c of this.clients) if (c !== from) c.hear(change);
  }
}

class FakeStore implements IdentityStore {
  private readonly changeListeners: Array<(c: IdentityChange) => void> = [];
  private readonly connectedListeners: Array<() => void> = [];
  writes = 0;

  constructor(private readonly shared: FakeShared) {
    shared.clients.push(this);
  }

  start(): void {
    this.connected();
  }

  connected(): void {
    for (const l of this.connectedListeners) l();
  }

  hear(c: IdentityChange): void {
    for (const l of this.changeListeners) l(c);
  }

  onChange(listener: (change: IdentityChange) => void): void {
    this.changeListeners.push(listener);
  }

  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  private check(): void {
    if (this.shared.down) throw new Error('connection refused');
  }

  async load(): Promise<StoredIdentities> {
    this.check();
    const generations: StoredGeneration[] = [];
    for (const [k, backend] of this.shared.generations) {
      const [topic, g] = k.split('/');
      generations.push({ topic, generation: Number(g), backend });
    }
    return { topics: [...this.shared.topics.values()].map((t) => structuredClone(t)), generations };
  }

  async writeTopic(entry: TopicIdEntry, previousVirtualId: string | null): Promise<StoredTopicId> {
    this.check();
    this.writes++;
    const s = this.shared.topics.get(entry.name);
    let next: TopicIdEntry = structuredClone(entry);
    if (s !== undefined) {
      if (s.virtualId === entry.virtualId) {
        next = { ...s, realIds: { ...s.realIds, ...entry.realIds }, servingBackend: entry.servingBackend ?? s.servingBackend };
      } else {
        const b = entry.servingBackend;
        const storedReal = b === null ? undefined : s.realIds[b];
        const newer = storedReal !== undefined && b !== null && storedReal !== entry.realIds[b];
        if (!newer && previousVirtualId !== s.virtualId) return structuredClone(s);
      }
    }
    const stored: StoredTopicId = { ...next, rev: ++this.shared.rev };
    this.shared.topics.set(entry.name, stored);
    this.shared.announce(this, { kind: 'topic', entry: structuredClone(stored) });
    return structuredClone(stored);
  }

  async forgetTopic(name: string, virtualId: string): Promise<number> {
    this.check();
    if (this.shared.topics.get(name)?.virtualId !== virtualId) return 0;
    this.shared.topics.delete(name);
    const rev = ++this.shared.rev;
    this.shared.announce(this, { kind: 'forget', name, virtualId, rev });
    return rev;
  }

  async claimGeneration(g: StoredGeneration): Promise<string> {
    this.check();
    const key = `${g.topic}/${g.generation}`;
    const holder = this.shared.generations.get(key);
    if (holder !== undefined) return holder;
    this.shared.generations.set(key, g.backend);
    this.shared.announce(this, { kind: 'generation', generation: { ...g } });
    return g.backend;
  }

  async close(): Promise<void> {}
}

interface Instance {
  topicIds: TopicIdMap;
  epochs: LeaderEpochMap;
  store: FakeStore;
  sync: SharedIdentities;
}

async function instance(shared: FakeShared): Promise<Instance> {
  const topicIds = new TopicIdMap();
  const epochs = new LeaderEpochMap();
  const store = new FakeStore(shared);
  const sync = new SharedIdentities({ topicIds, epochs, store, log, retryMs: 10 });
  sync.start();
  await sync.reload();
  return { topicIds, epochs, store, sync };
}

/** Lets queued writes reach the fake store and its announcements reach the instances. */
async function settle(shared: FakeShared, ...instances: Instance[]): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const x of instances) await x.sync.flushed();
    shared.deliver();
  }
}

describe('SharedIdentities', () => {
  it('loads the stored identities before it says loaded, and an instance started after a move presents the history', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    expect(a.sync.loaded).toBe(true);
    const v = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    a.epochs.observeServing('orders', 0, 'main', 5);
    // the domain moves to legacy
    a.topicIds.observeServing('legacy', 'orders', REAL_LEGACY);
    const moved = a.epochs.observeServing('orders', 0, 'legacy', 2);
    await settle(shared, a);

    const late = await instance(shared);
    // first sight on legacy alone would derive another id: the stored history wins
    expect(late.topicIds.observeServing('legacy', 'orders', REAL_LEGACY)).toEqual({ virtualId: v, change: 'unchanged' });
    expect(late.epochs.observeServing('orders', 0, 'legacy', 2)).toBe(moved);
    expect(moved).toBe(S + 2);
    await settle(shared, a, late);
    expect(late.store.writes).toBe(0);
  });

  it('resolves two first sights in different states to the first writer, and the other instance adopts it', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    const va = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    const vb = b.topicIds.observeServing('legacy', 'orders', REAL_LEGACY).virtualId;
    expect(vb).not.toBe(va);
    await settle(shared, a, b);
    expect(b.topicIds.virtualIdOf('orders')).toBe(va);
    expect(b.topicIds.nameOf(vb)).toBeUndefined();
    expect(b.topicIds.realIdOf(va, 'legacy')).toBe(REAL_LEGACY);
    expect(a.topicIds.realIdOf(va, 'legacy')).toBe(REAL_LEGACY);
  });

  it('gives a topic recreated on its serving backend the same new id everywhere', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    const v1 = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    await settle(shared, a, b);
    expect(b.topicIds.virtualIdOf('orders')).toBe(v1);
    const v2 = a.topicIds.observeServing('main', 'orders', REAL_MAIN2).virtualId;
    a.epochs.observeServing('orders', 0, 'main', 0);
    await settle(shared, a, b);
    expect(b.topicIds.virtualIdOf('orders')).toBe(v2);
    expect(b.topicIds.nameOf(v1)).toBeUndefined();
    expect(shared.topics.get('orders')?.virtualId).toBe(v2);
  });

  it('forgets a topic deleted through another instance', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    const v = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    await settle(shared, a, b);
    b.topicIds.forget('orders');
    await settle(shared, a, b);
    expect(a.topicIds.nameOf(v)).toBeUndefined();
    expect(shared.topics.has('orders')).toBe(false);
  });

  it('agrees on epoch generations: the second instance to move takes the first one generation instead of beginning another', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    a.epochs.observeServing('orders', 0, 'main', 9);
    b.epochs.observeServing('orders', 0, 'main', 3);
    await settle(shared, a, b);
    const fromA = a.epochs.observeServing('orders', 0, 'legacy', 1);
    await settle(shared, a, b);
    // b has not routed to legacy yet: it stays in generation 0 and passes A's epoch on for the backend to refuse
    expect(b.epochs.observeServing('orders', 0, 'main', 3)).toBe(3);
    expect(b.epochs.currentToReal('orders', 0, 'main', fromA)).toBeGreaterThanOrEqual(S);
    expect(b.epochs.observeServing('orders', 0, 'legacy', 1)).toBe(fromA);
    expect([...shared.generations]).toEqual([
      ['orders/0', 'main'],
      ['orders/1', 'legacy'],
    ]);
  });

  it('moves an instance that lost a generation race to a higher generation, and its epochs only rise', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    a.epochs.observeServing('orders', 0, 'main', 9);
    await settle(shared, a, b);
    // both begin generation 1 at once, for different backends (their policies disagree for a moment)
    const shownByA = a.epochs.observeServing('orders', 0, 'legacy', 4);
    const shownByB = b.epochs.observeServing('orders', 0, 'third', 4);
    expect(shownByA).toBe(shownByB);
    await a.sync.flushed();
    await settle(shared, a, b);
    expect(b.epochs.currentBackend('orders')).toBe('third');
    const after = b.epochs.observeServing('orders', 0, 'third', 4);
    expect(after).toBeGreaterThan(shownByB);
    expect(after).toBe(2 * S + 4);
    expect(a.epochs.observeServing('orders', 0, 'legacy', 4)).toBe(shownByA);
    expect(shared.generations.get('orders/2')).toBe('third');
  });

  it('keeps serving its own decisions while the store is down, and writes them when it is back', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    shared.down = true;
    const v = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    a.epochs.observeServing('orders', 0, 'main', 1);
    await a.sync.flushed();
    expect(a.sync.pendingWrites).toBeGreaterThan(0);
    expect(a.topicIds.virtualIdOf('orders')).toBe(v);
    shared.down = false;
    a.store.connected();
    await a.sync.reload();
    await a.sync.flushed();
    expect(a.sync.pendingWrites).toBe(0);
    expect(shared.topics.get('orders')?.virtualId).toBe(v);
    expect(shared.generations.get('orders/0')).toBe('main');
  });

  it('writes what it holds into a store that restarted empty', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const v = a.topicIds.observeServing('main', 'orders', REAL_MAIN).virtualId;
    a.epochs.observeServing('orders', 0, 'main', 1);
    await settle(shared, a);
    shared.topics.clear();
    shared.generations.clear();
    a.store.connected();
    await a.sync.reload();
    await a.sync.flushed();
    expect(shared.topics.get('orders')?.virtualId).toBe(v);
    expect(shared.generations.get('orders/0')).toBe('main');
  });

  it('ignores an announcement older than the entry it holds', async () => {
    const shared = new FakeShared();
    const a = await instance(shared);
    const b = await instance(shared);
    a.topicIds.observeServing('main', 'orders', REAL_MAIN);
    await a.sync.flushed();
    const first = shared.queue.slice();
    a.topicIds.observeServing('main', 'orders', REAL_MAIN2);
    await settle(shared, a, b);
    const v2 = b.topicIds.virtualIdOf('orders');
    expect(v2).toBe(a.topicIds.virtualIdOf('orders'));
    // the first write's announcement, delivered again late
    for (const { change } of first) b.store.hear(change);
    expect(b.topicIds.virtualIdOf('orders')).toBe(v2);
  });

  it('never says loaded while the store cannot be read, and does once it can', async () => {
    const shared = new FakeShared();
    shared.down = true;
    const topicIds = new TopicIdMap();
    const epochs = new LeaderEpochMap();
    const store = new FakeStore(shared);
    let loadedCalls = 0;
    const sync = new SharedIdentities({ topicIds, epochs, store, log, retryMs: 10, onLoaded: () => loadedCalls++ });
    sync.start();
    await sync.reload();
    expect(sync.loaded).toBe(false);
    shared.down = false;
    // Its own retry loads it (every 10 ms); the deadline only catches a retry that never comes.
    for (let waited = 0; !sync.loaded && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(sync.loaded).toBe(true);
    expect(loadedCalls).toBe(1);
    await sync.close();
  });
});
