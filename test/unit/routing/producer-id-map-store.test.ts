// The ProducerIdMap with a binding store: a binding is stored before the first batch is
// forwarded under it, a virtual id this instance does not know is adopted with what the
// store has, a store that fails holds the batch and then fails it, and idle expiry reaches
// the store. The store here is a fake in memory that records the calls and can be held or
// made to fail; the real stores have their own tests.
import { describe, expect, it } from 'vitest';
import { createInitProducerIdResponse, scanRecordBatches } from '../../../src/codec/index.js';
import { COORDINATOR_NOT_AVAILABLE } from '../../../src/routing/failure-responses.js';
import {
  copyOfProducer,
  ProducerStoreError,
  type ProducerBindingStore,
  type ProducerKey,
  type StoredBinding,
  type StoredProducer,
} from '../../../src/routing/producer-binding-store.js';
import { ProducerIdMap } from '../../../src/routing/producer-id-map.js';
import { initProducerIdResponseToVirtual } from '../../../src/routing/producer-id-rewrite.js';
import { fakeBackends } from './fake-producer-ids.js';
import { recordBatches } from './record-batches.js';

/** A store in memory shared by the maps given it, as Redis is by instances. */
class FakeStore implements ProducerBindingStore {
  readonly kind = 'redis';
  readonly producers = new Map<bigint, StoredProducer>();
  readonly calls: string[] = [];
  /** Failures still to answer, one per call. */
  failures = 0;
  /** While set, writes wait for it. */
  gate: Promise<void> | null = null;

  async find(virtualId: bigint): Promise<StoredProducer | null> {
    this.calls.push(`find ${virtualId}`);
    this.maybeFail('read a producer');
    const p = this.producers.get(virtualId);
    return p === undefined ? null : copyOfProducer(p);
  }

  async findTransactional(transactionalId: string): Promise<StoredProducer | null> {
    this.calls.push(`findTransactional ${transactionalId}`);
    this.maybeFail('read a transactional id');
    const p = [...this.producers.values()].find((x) => x.transactionalId === transactionalId);
    return p === undefined ? null : copyOfProducer(p);
  }

  async claimBinding(virtualId: bigint, backend: string, binding: StoredBinding, usedMs: number): Promise<StoredBinding> {
    this.calls.push(`claim ${virtualId} ${backend} ${binding.realId}`);
    await this.gate;
    this.maybeFail('store a producer binding');
    let p = this.producers.get(virtualId);
    if (p === undefined) this.producers.set(virtualId, (p = { virtualId, transactionalId: null, epoch: 0, bindings: new Map(), usedMs }));
    const standing = p.bindings.get(backend);
    if (standing !== undefined) return standing;
    p.bindings.set(backend, binding);
    return binding;
  }

  async putTransactional(producer: StoredProducer, replacedVirtualId: bigint | null): Promise<void> {
    this.calls.push(`putTransactional ${producer.virtualId} replacing ${replacedVirtualId}`);
    await this.gate;
    this.maybeFail('store a transactional producer');
    if (replacedVirtualId !== null) this.producers.delete(replacedVirtualId);
    this.producers.set(producer.virtualId, copyOfProducer(producer));
  }

  async claimSequenceBase(virtualId: bigint, key: string, partition: string, base: number): Promise<number> {
    this.calls.push(`claimSequenceBase ${virtualId} ${key} ${partition} ${base}`);
    await this.gate;
    this.maybeFail('store a sequence base');
    const p = this.producers.get(virtualId);
    if (p === undefined) return base;
    const bases = p.sequenceBases?.get(key) ?? new Map<string, number>();
    const standing = bases.get(partition);
    if (standing !== undefined) return standing;
    bases.set(partition, base);
    p.sequenceBases = new Map([[key, bases]]);
    return base;
  }

  async touch(producers: readonly ProducerKey[], usedMs: number): Promise<void> {
    this.calls.push(`touch ${producers.map((p) => p.virtualId).join(',')} at ${usedMs}`);
    for (const { virtualId } of producers) {
      const p = this.producers.get(virtualId);
      if (p !== undefined) p.usedMs = Math.max(p.usedMs, usedMs);
    }
  }

  async forgetIdle(producers: readonly ProducerKey[], idleBeforeMs: number): Promise<void> {
    this.calls.push(`forgetIdle ${producers.map((p) => p.virtualId).join(',')} before ${idleBeforeMs}`);
    for (const { virtualId } of producers) if ((this.producers.get(virtualId)?.usedMs ?? Infinity) < idleBeforeMs) this.producers.delete(virtualId);
  }

  async close(): Promise<void> {}

  private maybeFail(operation: string): void {
    if (this.failures > 0) {
      this.failures--;
      throw new ProducerStoreError(this.kind, operation, new Error('connection refused'));
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** True once `p` has settled (after the microtasks queued so far ran). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

const V = 7n << 40n;

describe('idempotent producers with a binding store', () => {
  it('store the real id before the first batch can be rewritten to it', async () => {
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    const v = map.newIdempotent();
    const records = await recordBatches({ producerId: v.producerId, producerEpoch: 0, baseSequence: 0 });
    const gate = deferred();
    store.gate = gate.promise;
    const prepared = map.prepareBatches(records, 'a') as Promise<void>;
    expect(prepared).toBeInstanceOf(Promise);
    expect(await settled(prepared), 'held while the store writes').toBe(false);
    expect(store.calls).toEqual([`claim ${v.producerId} a 1000`]);
    expect(() => map.rewriteBatchesToReal(records, 'a')).toThrow(/prepare/);

    gate.resolve();
    await prepared;
    map.rewriteBatchesToReal(records, 'a');
    expect(scanRecordBatches(records).batches[0].producerIdBigInt).toBe(1000n);
    expect(store.producers.get(v.producerId)?.bindings.get('a')).toEqual({ realId: 1000n, epochDelta: 0 });
  });

  it('adopt an unknown virtual id with the real ids stored for it: one lookup, nothing obtained', async () => {
    const store = new FakeStore();
    store.producers.set(V, { virtualId: V, transactionalId: null, epoch: 0, bindings: new Map([['a', { realId: 1500n, epochDelta: 0 }]]), usedMs: 0 });
    const backends = fakeBackends();
    const restarted = new ProducerIdMap({ obtain: backends.obtain, store });
    const [first, second] = [restarted.toReal(V, 3, 'a', false), restarted.toReal(V, 3, 'a', false)];
    expect(await first).toEqual({ producerId: 1500n, producerEpoch: 3 });
    expect(await second).toEqual({ producerId: 1500n, producerEpoch: 3 });
    expect(restarted.toReal(V, 4, 'a', false)).toEqual({ producerId: 1500n, producerEpoch: 4 });
    expect(store.calls).toEqual([`find ${V}`]);
    expect(backends.calls).toEqual([]);
    // A backend it has no real id on yet: obtained and stored as for any producer.
    expect(await restarted.toReal(V, 4, 'b', false)).toEqual({ producerId: 2000n, producerEpoch: 4 });
    expect(restarted.toVirtual('a', 1500n, 4)).toEqual({ producerId: V, producerEpoch: 4 });
  });

  it('adopt an id the store does not know with new real ids, stored', async () => {
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    expect(await map.toReal(V, 0, 'a', false)).toEqual({ producerId: 1000n, producerEpoch: 0 });
    expect(store.calls).toEqual([`find ${V}`, `claim ${V} a 1000`]);
  });

  it('use the real id another instance stored first', async () => {
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    const v = map.newIdempotent();
    // Another instance serving the same producer claimed backend a a moment before.
    store.producers.set(v.producerId, { virtualId: v.producerId, transactionalId: null, epoch: 0, bindings: new Map([['a', { realId: 4242n, epochDelta: 0 }]]), usedMs: 0 });
    expect(await map.toReal(v.producerId, 0, 'a', false)).toEqual({ producerId: 4242n, producerEpoch: 0 });
    expect(map.toVirtual('a', 4242n, 0)).toEqual({ producerId: v.producerId, producerEpoch: 0 });
    expect(map.toVirtual('a', 1000n, 0)).toBeUndefined();
  });

  it('hold a batch while the store fails for a moment', async () => {
    const store = new FakeStore();
    store.failures = 2;
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store, persistDeadlineMs: 5_000 });
    const v = map.newIdempotent();
    expect(await map.toReal(v.producerId, 0, 'a', false)).toEqual({ producerId: 1000n, producerEpoch: 0 });
    expect(store.calls.filter((c) => c.startsWith('claim'))).toHaveLength(3);
  });

  it('fail a batch with a retriable store error, never forwarding it, when the store stays down', async () => {
    const store = new FakeStore();
    store.failures = 1_000;
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store, persistDeadlineMs: 200 });
    const v = map.newIdempotent();
    const records = await recordBatches({ producerId: v.producerId, producerEpoch: 0, baseSequence: 0 });
    const failure = await (map.prepareBatches(records, 'a') as Promise<void>).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProducerStoreError);
    expect((failure as ProducerStoreError).message).toMatch(/producer binding store \(redis\) could not store a producer binding: connection refused/);
    expect(map.realIdIfBound(v.producerId, 'a')).toBeUndefined();
    expect(() => map.rewriteBatchesToReal(records, 'a')).toThrow(/prepare/);
    // Back up: the next attempt binds.
    store.failures = 0;
    await map.prepareBatches(records, 'a');
    expect(map.realIdIfBound(v.producerId, 'a')).toBe(1001n);
  });

  it('fail a batch of an unknown producer while the store cannot be read', async () => {
    const store = new FakeStore();
    store.failures = 1_000;
    const backends = fakeBackends();
    const map = new ProducerIdMap({ obtain: backends.obtain, store, persistDeadlineMs: 100 });
    await expect(map.toReal(V, 0, 'a', false)).rejects.toBeInstanceOf(ProducerStoreError);
    expect(backends.calls).toEqual([]);
    expect(map.size).toBe(0);
  });

  it('record use and remove expired producers from the store at each idle sweep', async () => {
    let now = 1_000;
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store, nowMs: () => now });
    const idle = map.newIdempotent();
    const busy = map.newIdempotent();
    await map.toReal(idle.producerId, 0, 'a', false);
    await map.toReal(busy.producerId, 0, 'a', false);
    now = 20_000;
    await map.toReal(busy.producerId, 0, 'a', false);
    now = 30_000;
    expect(map.expireIdle(15_000)).toBe(1);
    await map.whenStoreSwept();
    expect(store.calls.slice(-2)).toEqual([`touch ${busy.producerId} at 30000`, `forgetIdle ${idle.producerId} before 15000`]);
    expect(store.producers.has(idle.producerId)).toBe(false);
    expect(store.producers.get(busy.producerId)?.usedMs).toBe(30_000);
    // Nothing used since: nothing to record.
    expect(map.expireIdle(15_000)).toBe(0);
    await map.whenStoreSwept();
    expect(store.calls.at(-2)).toBe('touch  at 30000');
  });
});

describe('transactional producers with a binding store', () => {
  it('are stored before the InitProducerId answer is given, a new producer id replacing the old one', async () => {
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    const gate = deferred();
    store.gate = gate.promise;
    const answer = map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 });
    expect(await settled(answer), 'the answer waits for the store').toBe(false);
    gate.resolve();
    const first = await answer;
    expect(store.producers.get(first.producerId)).toMatchObject({ transactionalId: 'txn-1', epoch: 3, bindings: new Map([['a', { realId: 500n, epochDelta: 0 }]]) });

    store.gate = null;
    const next = await map.bindTransactional('txn-1', 'a', { producerId: 501n, producerEpoch: 0 });
    expect(store.calls.at(-1)).toBe(`putTransactional ${next.producerId} replacing ${first.producerId}`);
    expect(store.producers.has(first.producerId)).toBe(false);
  });

  it('are adopted from the store by an instance that does not know them, epoch and backend move included', async () => {
    const store = new FakeStore();
    const before = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    const v = await before.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 7 });

    // A batch and an EndTxn through a restarted instance.
    const restarted = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    expect(await restarted.toReal(v.producerId, 7, 'a', true)).toEqual({ producerId: 500n, producerEpoch: 7 });

    // KIP-360 re-initialisation through another one, then the transactional id moving to b.
    const other = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    expect(await other.initRequestToReal('txn-1', 'a', v.producerId, 7)).toEqual({ producerId: 500n, producerEpoch: 7 });
    const third = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    expect(await third.bindTransactional('txn-1', 'b', { producerId: 40n, producerEpoch: 0 })).toEqual({ producerId: v.producerId, producerEpoch: 8 });
    expect(store.producers.get(v.producerId)?.bindings.get('b')).toEqual({ realId: 40n, epochDelta: -8 });
  });

  it('answer COORDINATOR_NOT_AVAILABLE when the store cannot keep the answer', async () => {
    const store = new FakeStore();
    store.failures = 1_000;
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store, persistDeadlineMs: 100 });
    const res = createInitProducerIdResponse();
    res.producerId = 500n;
    res.producerEpoch = 0;
    await initProducerIdResponseToVirtual(res, 'txn-1', 'a', map);
    expect(res).toMatchObject({ errorCode: COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 });
  });
});

describe('binding keys of cutover eras with a binding store', () => {
  it('read bindings stored under a plain backend name as the first era of that backend', async () => {
    const store = new FakeStore();
    store.producers.set(V, { virtualId: V, transactionalId: null, epoch: 0, bindings: new Map([['a', { realId: 77n, epochDelta: 0 }]]), usedMs: 1 });
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store });
    expect(await map.toReal(V, 0, 'a', false)).toEqual({ producerId: 77n, producerEpoch: 0 });
    // A later era of the same backend gets a real id of its own, stored under its key.
    expect(await map.toReal(V, 0, 'a#3', false)).toEqual({ producerId: 1000n, producerEpoch: 0 });
    expect([...(store.producers.get(V)?.bindings.keys() ?? [])]).toEqual(['a', 'a#3']);
    expect(map.toVirtual('a', 77n, 0)?.producerId).toBe(V);
    expect(map.toVirtual('a', 1000n, 0)?.producerId).toBe(V);
    expect(map.realIdsOn(V, 'a')).toEqual([77n, 1000n]);
  });

  it('store a transactional id initialised where its domain moved before any request uses it, with the client timeout kept', async () => {
    const store = new FakeStore();
    const inits: string[] = [];
    const map = new ProducerIdMap({
      obtain: fakeBackends().obtain,
      store,
      transactionalKeyOf: () => 'b#1',
      initTransactional: async (transactionalId, backend, timeoutMs) => {
        inits.push(`${transactionalId} ${backend} ${timeoutMs}`);
        return { producerId: 40n, producerEpoch: 2 };
      },
    });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 }, 45_000);
    const gate = deferred();
    store.gate = gate.promise;
    const real = map.toReal(v.producerId, v.producerEpoch, 'b#1', true) as Promise<unknown>;
    expect(await settled(real), 'held while the store writes').toBe(false);
    expect(map.realIdIfBound(v.producerId, 'b#1')).toBeUndefined();
    gate.resolve();
    expect(await real).toEqual({ producerId: 40n, producerEpoch: 2 });
    expect(inits).toEqual(['txn-1 b 45000']);
    expect(store.producers.get(v.producerId)?.bindings.get('b#1')).toEqual({ realId: 40n, epochDelta: 2 - v.producerEpoch });
    expect(store.producers.get(v.producerId)?.transactionTimeoutMs).toBe(45_000);
    // A producer adopted from the store later initialises with the same timeout.
    const restarted = new ProducerIdMap({ obtain: fakeBackends().obtain, store, transactionalKeyOf: () => 'c#2', initTransactional: async (id, backend, timeoutMs) => {
      inits.push(`${id} ${backend} ${timeoutMs}`);
      return { producerId: 9n, producerEpoch: 0 };
    } });
    await restarted.toReal(v.producerId, v.producerEpoch, 'c', true);
    expect(inits[1]).toBe('txn-1 c 45000');
  });

  it('answer a retriable error, binding nothing, when the store cannot keep a moved transactional id', async () => {
    const store = new FakeStore();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, store, persistDeadlineMs: 100, initTransactional: async () => ({ producerId: 40n, producerEpoch: 0 }) });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 0 });
    store.failures = 1_000;
    await expect(map.toReal(v.producerId, 0, 'b', true)).rejects.toBeInstanceOf(ProducerStoreError);
    expect(map.realIdIfBound(v.producerId, 'b')).toBeUndefined();
  });

  it('refuse a transactional batch for a backend its id does not live on', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, transactionalKeyOf: () => 'a#1', initTransactional: async () => ({ producerId: 40n, producerEpoch: 0 }) });
    const v = await map.bindTransactional('txn-1', 'a#1', { producerId: 500n, producerEpoch: 0 });
    expect(() => map.toReal(v.producerId, 0, 'b', true)).toThrow(/lives on another backend/);
    expect(map.toReal(v.producerId, 0, 'a', true)).toEqual({ producerId: 500n, producerEpoch: 0 });
  });
  it('count the sequences of a moved transactional id from 0 on each partition, on a new real id and on one its coordinator kept', async () => {
    let era = 'a';
    const reals: Record<string, { producerId: bigint; producerEpoch: number }> = { b: { producerId: 40n, producerEpoch: 0 }, a: { producerId: 500n, producerEpoch: 4 } };
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, transactionalKeyOf: () => era, initTransactional: async (_id, backend) => reals[backend] });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 });
    const sent = async (key: string, partition: string, baseSequence: number, producerEpoch = v.producerEpoch) => {
      const records = await recordBatches({ producerId: v.producerId, producerEpoch, baseSequence, transactional: true });
      await map.prepareBatches(records, key);
      map.rewriteBatchesToReal(records, key, partition);
      const [b] = scanRecordBatches(records).batches;
      expect(b.verifyCrc()).toBe(true);
      return [b.producerIdBigInt, b.producerEpoch, b.baseSequence];
    };
    expect(await sent('a', '0:t', 7)).toEqual([500n, 3, 7]);
    // To b: a new real id. A partition may have its abort marker already (a transaction that
    // added it and was aborted before any batch got there), after which the broker takes only 0.
    era = 'b#1';
    expect(await sent('b#1', '0:t', 9)).toEqual([40n, 0, 0]);
    expect(await sent('b#1', '0:t', 11)).toEqual([40n, 0, 2]);
    // Back to a: the same real id with a new epoch, which must start at 0 on each partition.
    era = 'a#2';
    expect(await sent('a#2', '0:t', 12)).toEqual([500n, 4, 0]);
    expect(await sent('a#2', '1:t', 30)).toEqual([500n, 4, 0]);
    expect(await sent('a#2', '0:t', 15)).toEqual([500n, 4, 3]);
    expect(await sent('a#2', '0:t', 12), 'a retry keeps its sequence').toEqual([500n, 4, 0]);
    // The client initialises again (new epoch): its sequences start at 0 and go out as they are.
    const again = await map.bindTransactional('txn-1', 'a#2', { producerId: 500n, producerEpoch: 5 });
    expect(again.producerId).toBe(v.producerId);
    expect(await sent('a#2', '0:t', 0, again.producerEpoch)).toEqual([500n, 5, 0]);
    expect(await sent('a#2', '0:t', 1, again.producerEpoch)).toEqual([500n, 5, 1]);
  });

  it("count a moved transactional id's sequences from the first batch the client sent, when a later one is rewritten first", async () => {
    let era = 'a';
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, transactionalKeyOf: () => era, initTransactional: async () => ({ producerId: 40n, producerEpoch: 0 }) });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 });
    era = 'b#1';
    const first = await recordBatches({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: 20, transactional: true });
    const second = await recordBatches({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: 22, transactional: true });
    // Both prepared in the client's order; the second request goes on first (the first waits to carry its partition).
    const waits = [map.prepareBatches(first, 'b#1', '0:t'), map.prepareBatches(second, 'b#1', '0:t')];
    await Promise.all(waits);
    map.rewriteBatchesToReal(second, 'b#1', '0:t');
    map.rewriteBatchesToReal(first, 'b#1', '0:t');
    expect(scanRecordBatches(first).batches[0].baseSequence).toBe(0);
    expect(scanRecordBatches(second).batches[0].baseSequence).toBe(2);
  });
});

describe('sequence bases of a moved transactional id with a binding store', () => {
  /** A map whose transactional ids all live under `key()`, the move answered with real id 40 at epoch 0. */
  const mapOn = (store: FakeStore, key: () => string, persistDeadlineMs?: number) =>
    new ProducerIdMap({
      obtain: fakeBackends().obtain,
      store,
      transactionalKeyOf: key,
      persistDeadlineMs,
      initTransactional: async () => ({ producerId: 40n, producerEpoch: 0 }),
    });
  /** A map whose transactional id txn-1 was initialised under key a (real id 500 at epoch 3) and whose domain is now under b#1. */
  const movedFromA = async (persistDeadlineMs?: number) => {
    const store = new FakeStore();
    let era = 'a';
    const map = mapOn(store, () => era, persistDeadlineMs);
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 });
    era = 'b#1';
    return { store, map, v };
  };
  /** Prepares and rewrites one transactional batch as produce.ts does: its real (id, epoch, sequence). */
  const send = async (map: ProducerIdMap, virtualId: bigint, producerEpoch: number, key: string, partition: string, baseSequence: number) => {
    const records = await recordBatches({ producerId: virtualId, producerEpoch, baseSequence, transactional: true });
    await map.prepareBatches(records, key, partition);
    map.rewriteBatchesToReal(records, key, partition);
    const [b] = scanRecordBatches(records).batches;
    return [b.producerIdBigInt, b.producerEpoch, b.baseSequence];
  };
  const basesOf = (store: FakeStore, virtualId: bigint) =>
    Object.fromEntries([...(store.producers.get(virtualId)?.sequenceBases ?? [])].map(([k, b]) => [k, Object.fromEntries(b)]));

  it('store the base before the first batch on a partition can be rewritten, and a fresh map adopting the id counts from it', async () => {
    const { store, map, v } = await movedFromA();
    const gate = deferred();
    store.gate = gate.promise;
    const records = await recordBatches({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: 9, transactional: true });
    const prepared = map.prepareBatches(records, 'b#1', '0:t') as Promise<void>;
    expect(await settled(prepared), 'held while the store writes').toBe(false);
    gate.resolve();
    store.gate = null;
    await prepared;
    expect(basesOf(store, v.producerId)).toEqual({ 'b#1': { '0:t': 9 } });
    map.rewriteBatchesToReal(records, 'b#1', '0:t');
    expect(scanRecordBatches(records).batches[0].baseSequence).toBe(0);
    expect(store.calls.filter((c) => c.startsWith('putTransactional') || c.startsWith('claimSequenceBase'))).toEqual([
      `putTransactional ${v.producerId} replacing null`,
      `putTransactional ${v.producerId} replacing null`,
      `claimSequenceBase ${v.producerId} b#1 0:t 9`,
    ]);
    expect(await send(map, v.producerId, v.producerEpoch, 'b#1', '0:t', 11)).toEqual([40n, 0, 2]);

    // Killed and restarted, or another instance: it never initialises the id again and goes on counting.
    const successor = new ProducerIdMap({
      obtain: fakeBackends().obtain,
      store,
      transactionalKeyOf: () => 'b#1',
      initTransactional: async () => {
        throw new Error('a moved id must not be initialised again');
      },
    });
    expect(await send(successor, v.producerId, v.producerEpoch, 'b#1', '0:t', 13)).toEqual([40n, 0, 4]);
    expect(await send(successor, v.producerId, v.producerEpoch, 'b#1', '1:t', 30)).toEqual([40n, 0, 0]);
    expect(await send(successor, v.producerId, v.producerEpoch, 'b#1', '1:t', 32)).toEqual([40n, 0, 2]);
    expect(basesOf(store, v.producerId)).toEqual({ 'b#1': { '0:t': 9, '1:t': 30 } });
  });

  it('count the first batch of a moved id from 0 on a fresh map when no batch was forwarded before', async () => {
    const { store, map, v } = await movedFromA();
    // Moved (the AddPartitionsToTxn or the offsets went first), then the instance is gone.
    await map.toReal(v.producerId, v.producerEpoch, 'b#1', true);
    expect(basesOf(store, v.producerId)).toEqual({ 'b#1': {} });
    const successor = mapOn(store, () => 'b#1');
    expect(await send(successor, v.producerId, v.producerEpoch, 'b#1', '0:t', 14)).toEqual([40n, 0, 0]);
    expect(await send(successor, v.producerId, v.producerEpoch, 'b#1', '0:t', 15)).toEqual([40n, 0, 1]);
  });

  it('clear the stored bases when the client initialises again under the key', async () => {
    const { store, map, v } = await movedFromA();
    await send(map, v.producerId, v.producerEpoch, 'b#1', '0:t', 9);
    expect(basesOf(store, v.producerId)).toEqual({ 'b#1': { '0:t': 9 } });
    const again = await map.bindTransactional('txn-1', 'b#1', { producerId: 40n, producerEpoch: 1 });
    expect(again.producerId).toBe(v.producerId);
    expect(store.producers.get(v.producerId)?.sequenceBases).toBeUndefined();
    const successor = mapOn(store, () => 'b#1');
    expect(await send(successor, v.producerId, again.producerEpoch, 'b#1', '0:t', 0)).toEqual([40n, 1, 0]);
    expect(await send(successor, v.producerId, again.producerEpoch, 'b#1', '0:t', 3)).toEqual([40n, 1, 3]);
    expect(store.producers.get(v.producerId)?.sequenceBases).toBeUndefined();
  });

  it('fail a batch retriably, forwarding nothing, while the store cannot keep its base, and store it on the retry', async () => {
    const { store, map, v } = await movedFromA(100);
    await send(map, v.producerId, v.producerEpoch, 'b#1', '0:t', 9);
    store.failures = 1_000;
    const first = await recordBatches({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: 20, transactional: true });
    await expect(map.prepareBatches(first, 'b#1', '1:t')).rejects.toBeInstanceOf(ProducerStoreError);
    expect(() => map.rewriteBatchesToReal(first, 'b#1', '1:t')).toThrow(/not stored/);
    // A later batch there, prepared meanwhile, waits for the same write.
    const later = await recordBatches({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: 22, transactional: true });
    const laterPrepared = map.prepareBatches(later, 'b#1', '1:t') as Promise<void>;
    expect(await settled(laterPrepared)).toBe(false);
    store.failures = 0;
    await laterPrepared;
    expect(basesOf(store, v.producerId)).toEqual({ 'b#1': { '0:t': 9, '1:t': 20 } });
    await map.prepareBatches(first, 'b#1', '1:t');
    map.rewriteBatchesToReal(first, 'b#1', '1:t');
    map.rewriteBatchesToReal(later, 'b#1', '1:t');
    expect(scanRecordBatches(first).batches[0].baseSequence).toBe(0);
    expect(scanRecordBatches(later).batches[0].baseSequence).toBe(2);
  });

  it("count from another instance's base when it stored one for the partition first", async () => {
    const { store, map, v } = await movedFromA();
    await map.toReal(v.producerId, v.producerEpoch, 'b#1', true);
    await store.claimSequenceBase(v.producerId, 'b#1', '0:t', 5);
    expect(await send(map, v.producerId, v.producerEpoch, 'b#1', '0:t', 7)).toEqual([40n, 0, 2]);
  });
});
