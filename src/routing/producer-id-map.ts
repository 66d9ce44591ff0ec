// Virtual producer ids: the producer ids and epochs clients see (InitProducerId, the batches
// they produce), each mapped to a real producer id on every backend the producer writes to.
//
// Idempotent producers (no transactional id). Turnout answers their InitProducerId itself
// with a new random virtual id at epoch 0, and obtains a real id on a backend (an
// InitProducerId without transactional id, through the `obtain` callback) the first time the
// producer writes there. Epochs are not mapped: a backend's partitions hold no state for a
// fresh producer id, so its first batch may carry any epoch and any sequence (Kafka's
// ProducerStateManager accepts both for an id it has no entry for), and the client's own epoch
// bumps (the Java client bumps an idempotent producer's epoch locally) reach the backend as
// they would reach a broker. Sequences are per partition and a partition lives on one
// backend, so they pass unchanged. A virtual id this instance does not know (another
// instance's, or one from before a restart) is adopted on sight: with a binding store, with
// the real ids stored for it, so that batches retried across a restart or a move to another
// instance reach the broker under the same real id and are recognised by their sequence
// numbers; without one (or when none is stored), with new real ids, and deduplication of
// batches retried across that change is lost, as on a broker that lost the producer's state.
//
// Persistence (producer-binding-store.ts). A real id obtained for a producer is stored before
// the first batch is forwarded under it, and a transactional binding before the client gets
// the InitProducerId answer that names it. A store that cannot read or write is retried for
// `persistDeadlineMs`, the batch held meanwhile; then the batch fails with a retriable error
// (ProducerStoreError) and is never forwarded under an id a successor would not know. Use is
// recorded in the store at each idle sweep, and the sweep removes from the store what it
// expires from memory (unless another instance has used it since).
//
// Transactional producers. Their InitProducerId goes to the transaction coordinator on the
// backend of the transactional id's domain; the answer's real (id, epoch) gets a virtual id
// (kept for the transactional id while the coordinator keeps the real id) and virtual epoch =
// real epoch + delta, delta 0 unless the transactional id moved to another backend. A
// transactional producer writes only to its coordinator's backend: a batch for another
// backend is refused (INVALID_TXN_STATE) rather than spread a transaction over two clusters.
//
// Fetched batches are not rewritten. Consumers use producer ids only to match a partition's
// AbortedTransactions list against the batches of the same fetch response (read_committed
// filtering); both come from the same backend and stay consistent as they are, and rewriting
// every fetched batch would mean a CRC32C pass over all data served. Responses that name
// producers for admin tools (DescribeProducers, DescribeTransactions, ListTransactions) show
// the virtual id where Turnout knows one, so those stay consistent with each other.
import { randomBytes } from 'node:crypto';
import { scanRecordBatches } from '../codec/index.js';
import type { Logger } from '../observability/logger.js';
import { ProducerStoreError, type ProducerBindingStore, type ProducerKey, type StoredProducer } from './producer-binding-store.js';
import { retryUntil } from './retry-until.js';
import { INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, INVALID_TXN_STATE, PRODUCER_FENCED } from './error-codes.js';

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

/** Obtains a new real idempotent producer id on a backend (an InitProducerId without transactional id). */
export type ObtainProducerId = (backend: string) => Promise<ProducerIdAndEpoch>;

/** A producer that cannot be mapped; `errorCode` is what the client is answered with. */
export class ProducerMappingError extends Error {
  readonly errorCode: number;
  readonly virtualId: bigint;
  readonly backend: string;

  constructor(errorCode: number, virtualId: bigint, backend: string, reason: string) {
    super(`producer ${virtualId} on backend ${backend}: ${reason}`);
    this.name = 'ProducerMappingError';
    this.errorCode = errorCode;
    this.virtualId = virtualId;
    this.backend = backend;
  }
}

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
const NONE: ProducerIdAndEpoch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
const MAX_EPOCH = 32767;
const MAGIC_V2 = 2;

// Virtual ids lie in [2^40, 2^53): apart from the small ids brokers hand out (so a leaked
// real id is easy to tell), and exact as a JavaScript number for clients that use numbers.
const VIRTUAL_ID_MIN = 1n << 40n;
const VIRTUAL_ID_MASK = (1n << 53n) - 1n;

/** A random id in [2^40, 2^53). */
export function randomVirtualProducerId(): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & VIRTUAL_ID_MASK;
    if (id >= VIRTUAL_ID_MIN) return id;
  }
}

interface Binding {
  backend: string;
  realId: bigint;
  /** real epoch = virtual epoch + epochDelta. */
  epochDelta: number;
  producer: VirtualProducer;
}

interface VirtualProducer {
  virtualId: bigint;
  transactionalId: string | null;
  /** Transactional: the virtual epoch of the last InitProducerId answer. */
  epoch: number;
  bindings: Map<string, Binding>;
  pending: Map<string, Promise<Binding>>;
  lastUsedMs: number;
  /** The use last recorded in the store. */
  storedUseMs: number;
}

export interface ProducerIdMapOptions {
  obtain: ObtainProducerId;
  /** Where bindings outlive this instance; without one they live in memory only. */
  store?: ProducerBindingStore;
  /** How long a batch waits for a store that fails before it is answered a retriable error, in ms. (default: 10000) */
  persistDeadlineMs?: number;
  /** Logs store failures and adoptions. */
  log?: Logger;
  /** Virtual id source (tests inject collisions). Default: `randomVirtualProducerId`. */
  randomId?: () => bigint;
  nowMs?: () => number;
}

const MAX_ID_ATTEMPTS = 1000;

export class ProducerIdMap {
  private readonly byVirtual = new Map<bigint, VirtualProducer>();
  private readonly byTransactionalId = new Map<string, VirtualProducer>();
  /** Backend → real id → binding. */
  private readonly byReal = new Map<string, Map<bigint, Binding>>();
  /** Virtual ids being looked up in the store, so that concurrent batches share one lookup. */
  private readonly adopting = new Map<bigint, Promise<VirtualProducer>>();
  private readonly obtain: ObtainProducerId;
  private readonly store: ProducerBindingStore | undefined;
  private readonly persistDeadlineMs: number;
  private readonly log: Logger | undefined;
  private readonly randomId: () => bigint;
  private readonly nowMs: () => number;
  private storeSweep: Promise<void> = Promise.resolve();
  private storeFailing = false;

  constructor(opts: ProducerIdMapOptions) {
    this.obtain = opts.obtain;
    this.store = opts.store;
    this.persistDeadlineMs = opts.persistDeadlineMs ?? 10_000;
    this.log = opts.log;
    this.randomId = opts.randomId ?? randomVirtualProducerId;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Virtual producers known. */
  get size(): number {
    return this.byVirtual.size;
  }

  /** The answer to an InitProducerId without transactional id: a new virtual producer at epoch 0. */
  newIdempotent(): ProducerIdAndEpoch {
    const p = this.create(this.newVirtualId(), null);
    return { producerId: p.virtualId, producerEpoch: 0 };
  }

  /**
   * The real producer for a batch's virtual (id, epoch) on `backend`: synchronous when the
   * producer already has a real id there, a promise while one is obtained. Throws
   * ProducerMappingError for a producer that cannot write there.
   */
  toReal(virtualId: bigint, virtualEpoch: number, backend: string, transactional: boolean): ProducerIdAndEpoch | Promise<ProducerIdAndEpoch> {
    if (virtualId < 0n) return { producerId: virtualId, producerEpoch: virtualEpoch };
    if (this.store !== undefined && !this.byVirtual.has(virtualId)) {
      return this.adopt(virtualId).then((p) => this.realFor(p, virtualEpoch, backend, transactional));
    }
    return this.realFor(this.producerForBatch(virtualId, backend, transactional), virtualEpoch, backend, transactional);
  }

  /** The virtual producer of a real one from `backend`, or undefined when Turnout mapped none to it. */
  toVirtual(backend: string, realId: bigint, realEpoch: number): ProducerIdAndEpoch | undefined {
    const b = this.byReal.get(backend)?.get(realId);
    if (b === undefined) return undefined;
    return { producerId: b.producer.virtualId, producerEpoch: realEpoch < 0 ? realEpoch : realEpoch - b.epochDelta };
  }

  /** The real id a virtual producer has on `backend`, if it has one. Never obtains or adopts. */
  realIdIfBound(virtualId: bigint, backend: string): bigint | undefined {
    return this.byVirtual.get(virtualId)?.bindings.get(backend)?.realId;
  }

  /**
   * The real (id, epoch) to send in a transactional InitProducerId whose client sent a virtual
   * one (KIP-360 re-initialisation, v3+). -1/-1 for a first initialisation, for a transactional
   * id this instance has no state for, or one that moved to `backend` since: the coordinator
   * then treats it as a new initialisation. An older virtual id of the transactional id throws
   * PRODUCER_FENCED, as the coordinator answers a stale producer id.
   */
  async initRequestToReal(transactionalId: string, backend: string, virtualId: bigint, virtualEpoch: number): Promise<ProducerIdAndEpoch> {
    if (virtualId < 0n) return NONE;
    const p = this.byTransactionalId.get(transactionalId) ?? (await this.adoptTransactional(transactionalId));
    if (p === undefined) return NONE;
    if (p.virtualId !== virtualId) {
      throw new ProducerMappingError(PRODUCER_FENCED, virtualId, backend, `transactional id ${transactionalId} has a newer producer`);
    }
    p.lastUsedMs = this.nowMs();
    const b = p.bindings.get(backend);
    return b === undefined ? NONE : realOf(b, virtualEpoch);
  }

  /**
   * A transactional InitProducerId answered by the coordinator on `backend` with `real`: the
   * virtual (id, epoch) to answer the client with. The same real id keeps the virtual id (its
   * epoch follows the real one); a new real id from the same backend (epoch exhausted, or a
   * new producer after expiry) gets a new virtual id, as Kafka gives a new producer id; a
   * first answer from another backend keeps the virtual id with the next epoch.
   */
  async bindTransactional(transactionalId: string, backend: string, real: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    if (real.producerId < 0n) return real;
    const known = this.byTransactionalId.get(transactionalId) ?? (await this.adoptTransactional(transactionalId));
    const bound = this.bindTransactionalNow(transactionalId, backend, real, known);
    const store = this.store;
    if (store !== undefined) {
      const stored = storedOf(bound.producer, this.nowMs());
      const replaced = bound.replaced?.virtualId ?? null;
      await this.persisting('store a transactional producer', () => store.putTransactional(stored, replaced));
      bound.producer.storedUseMs = Math.max(bound.producer.storedUseMs, stored.usedMs);
    }
    return { producerId: bound.producer.virtualId, producerEpoch: bound.producer.epoch };
  }

  /** bindTransactional in memory: the producer that answers, and the one it replaces. */
  private bindTransactionalNow(
    transactionalId: string,
    backend: string,
    real: ProducerIdAndEpoch,
    known: VirtualProducer | undefined,
  ): { producer: VirtualProducer; replaced: VirtualProducer | null } {
    let p = known;
    const b = p?.bindings.get(backend);
    if (p !== undefined && b !== undefined && b.realId === real.producerId) {
      p.epoch = real.producerEpoch - b.epochDelta;
      p.lastUsedMs = this.nowMs();
      return { producer: p, replaced: null };
    }
    if (p !== undefined && b === undefined && p.epoch < MAX_EPOCH) {
      p.epoch += 1;
      this.bind(p, backend, real.producerId, real.producerEpoch - p.epoch);
      p.lastUsedMs = this.nowMs();
      return { producer: p, replaced: null };
    }
    const replaced = p ?? null;
    if (p !== undefined) this.retire(p);
    p = this.create(this.newVirtualId(), transactionalId);
    p.epoch = real.producerEpoch;
    this.bind(p, backend, real.producerId, 0);
    return { producer: p, replaced };
  }

  /**
   * Makes sure every producer of the v2 batches in `records` has a real id on `backend`:
   * null when all have one already, else a promise that settles once they do. Throws
   * ProducerMappingError (synchronously) for a batch that cannot go there.
   */
  prepareBatches(records: Buffer | null, backend: string): Promise<void> | null {
    let waits: Array<Promise<ProducerIdAndEpoch>> | null = null;
    for (const batch of scanRecordBatches(records).batches) {
      if (batch.magic !== MAGIC_V2) continue;
      const virtualId = batch.producerIdBigInt;
      if (virtualId < 0n) continue;
      const real = this.toReal(virtualId, batch.producerEpoch, backend, batch.isTransactional);
      if (real instanceof Promise) (waits ??= []).push(real);
    }
    return waits === null ? null : Promise.all(waits).then(() => undefined);
  }

  /**
   * Rewrites the producer id and epoch of every v2 batch in `records` to `backend`'s real
   * ones, in place (the CRC is recomputed; the sequence is kept). `prepareBatches` must have
   * settled first. Throws ProducerMappingError for a batch that cannot go there.
   */
  rewriteBatchesToReal(records: Buffer | null, backend: string): void {
    for (const batch of scanRecordBatches(records).batches) {
      if (batch.magic !== MAGIC_V2) continue;
      const virtualId = batch.producerIdBigInt;
      if (virtualId < 0n) continue;
      const p = this.producerForBatch(virtualId, backend, batch.isTransactional);
      const b = p.bindings.get(backend);
      if (b === undefined) throw new Error(`producer ${virtualId} has no real id on ${backend} yet: prepare the batches first`);
      const real = realOf(b, batch.producerEpoch);
      batch.rewriteProducer({ producerId: real.producerId, producerEpoch: real.producerEpoch });
    }
  }

  /**
   * Forgets producers unused for `maxIdleMs` (Kafka expires producer ids too). Returns how
   * many. With a store, records the use of the others there, then removes the expired ones
   * from it (`whenStoreSwept` settles when done).
   */
  expireIdle(maxIdleMs: number): number {
    const now = this.nowMs();
    const before = now - maxIdleMs;
    const expired: ProducerKey[] = [];
    const used: VirtualProducer[] = [];
    for (const p of [...this.byVirtual.values()]) {
      if (p.lastUsedMs < before && p.pending.size === 0) {
        this.retire(p);
        expired.push({ virtualId: p.virtualId, transactionalId: p.transactionalId });
      } else if (p.bindings.size > 0 && p.lastUsedMs > p.storedUseMs) {
        used.push(p);
      }
    }
    const store = this.store;
    if (store !== undefined) {
      const keys = used.map((p) => ({ virtualId: p.virtualId, transactionalId: p.transactionalId }));
      // Uses first: the file store's sweep drops every producer whose recorded use is that old.
      this.storeSweep = store
        .touch(keys, now)
        .then(() => {
          for (const p of used) p.storedUseMs = Math.max(p.storedUseMs, now);
          return store.forgetIdle(expired, before);
        })
        .catch((err: unknown) => this.log?.warn({ err }, 'could not record producer use or expiry in the binding store; trying again at the next sweep'));
    }
    return expired.length;
  }

  /** Settles when the store work of the last `expireIdle` is done (it never rejects). */
  whenStoreSwept(): Promise<void> {
    return this.storeSweep;
  }

  /** The real producer of `p` on `backend`: at once when it has one there, else once one is obtained (and stored). */
  private realFor(p: VirtualProducer, virtualEpoch: number, backend: string, transactional: boolean): ProducerIdAndEpoch | Promise<ProducerIdAndEpoch> {
    if (transactional && p.transactionalId === null) {
      throw new ProducerMappingError(INVALID_PRODUCER_ID_MAPPING, p.virtualId, backend, 'transactional batch from an idempotent producer id');
    }
    p.lastUsedMs = this.nowMs();
    const b = p.bindings.get(backend);
    if (b !== undefined) return realOf(b, virtualEpoch);
    if (p.transactionalId !== null) {
      throw new ProducerMappingError(INVALID_TXN_STATE, p.virtualId, backend, `transactional id ${p.transactionalId} lives on another backend`);
    }
    return this.obtainBinding(p, backend).then((bound) => realOf(bound, virtualEpoch));
  }

  /** A virtual id this instance does not know, with what the store has for it (looked up once for concurrent batches). */
  private adopt(virtualId: bigint): Promise<VirtualProducer> {
    const pending = this.adopting.get(virtualId);
    if (pending !== undefined) return pending;
    const store = this.store as ProducerBindingStore;
    const adopted = this.persisting('read a producer', () => store.find(virtualId)).then(
      (stored) => {
        this.adopting.delete(virtualId);
        const known = this.byVirtual.get(virtualId);
        if (known !== undefined) return known;
        if (stored?.transactionalId != null && this.byTransactionalId.has(stored.transactionalId)) {
          throw new ProducerMappingError(INVALID_PRODUCER_ID_MAPPING, virtualId, '', `transactional id ${stored.transactionalId} has a newer producer`);
        }
        return stored === null ? this.create(virtualId, null) : this.restore(stored);
      },
      (err: unknown) => {
        this.adopting.delete(virtualId);
        throw err;
      },
    );
    this.adopting.set(virtualId, adopted);
    return adopted;
  }

  /** The producer a transactional id has in the store, adopted; undefined when none (or no store). */
  private async adoptTransactional(transactionalId: string): Promise<VirtualProducer | undefined> {
    const store = this.store;
    if (store === undefined) return undefined;
    const stored = await this.persisting('read a transactional producer', () => store.findTransactional(transactionalId));
    const known = this.byTransactionalId.get(transactionalId);
    if (known !== undefined || stored === null) return known;
    return this.byVirtual.get(stored.virtualId) ?? this.restore(stored);
  }

  private restore(stored: StoredProducer): VirtualProducer {
    const p = this.create(stored.virtualId, stored.transactionalId);
    p.epoch = stored.epoch;
    p.storedUseMs = stored.usedMs;
    for (const [backend, b] of stored.bindings) this.bind(p, backend, b.realId, b.epochDelta);
    this.log?.info({ virtualId: String(stored.virtualId), transactionalId: stored.transactionalId, backends: [...stored.bindings.keys()] }, 'producer adopted from the binding store');
    return p;
  }

  /** A store operation, retried while the store fails, for up to `persistDeadlineMs`. Logged once per outage. */
  private persisting<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    return retryUntil(
      async () => {
        try {
          const result = await attempt();
          if (this.storeFailing) this.log?.info({ operation }, 'producer binding store answers again');
          this.storeFailing = false;
          return result;
        } catch (err) {
          if (!this.storeFailing) this.log?.warn({ err, operation }, 'producer binding store failed; holding the requests that need it and trying again');
          this.storeFailing = true;
          throw err;
        }
      },
      { deadlineMs: this.persistDeadlineMs, initialDelayMs: 50, maxDelayMs: 1_000, retriable: (err) => err instanceof ProducerStoreError },
    );
  }

  /** The producer of a batch; an unknown one is adopted with no real ids yet (no store). */
  private producerForBatch(virtualId: bigint, backend: string, transactional: boolean): VirtualProducer {
    const p = this.byVirtual.get(virtualId);
    if (p !== undefined) return p;
    if (transactional) throw new ProducerMappingError(INVALID_PRODUCER_ID_MAPPING, virtualId, backend, 'unknown transactional producer');
    return this.create(virtualId, null);
  }

  private obtainBinding(p: VirtualProducer, backend: string): Promise<Binding> {
    const pending = p.pending.get(backend);
    if (pending !== undefined) return pending;
    const obtained = this.obtain(backend)
      .then((real) => this.claim(p, backend, real.producerId))
      .then(
        (realId) => {
          p.pending.delete(backend);
          // The epoch the backend gave is not used: see the file comment.
          return p.bindings.get(backend) ?? this.bind(p, backend, realId, 0);
        },
      (err: unknown) => {
        p.pending.delete(backend);
        throw err;
      },
    );
    p.pending.set(backend, obtained);
    return obtained;
  }

  /** The real id that stands for `p` on `backend`: `realId`, stored durably, or the one another instance stored first. */
  private async claim(p: VirtualProducer, backend: string, realId: bigint): Promise<bigint> {
    const store = this.store;
    if (store === undefined) return realId;
    const usedMs = this.nowMs();
    const standing = await this.persisting('store a producer binding', () => store.claimBinding(p.virtualId, backend, { realId, epochDelta: 0 }, usedMs));
    p.storedUseMs = Math.max(p.storedUseMs, usedMs);
    return standing.realId;
  }

  private create(virtualId: bigint, transactionalId: string | null): VirtualProducer {
    const p: VirtualProducer = { virtualId, transactionalId, epoch: 0, bindings: new Map(), pending: new Map(), lastUsedMs: this.nowMs(), storedUseMs: 0 };
    this.byVirtual.set(virtualId, p);
    if (transactionalId !== null) this.byTransactionalId.set(transactionalId, p);
    return p;
  }

  private newVirtualId(): bigint {
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const id = this.randomId();
      if (id >= 0n && !this.byVirtual.has(id)) return id;
    }
    throw new Error(`no fresh virtual producer id after ${MAX_ID_ATTEMPTS} attempts`);
  }

  private bind(p: VirtualProducer, backend: string, realId: bigint, epochDelta: number): Binding {
    const old = p.bindings.get(backend);
    let reals = this.byReal.get(backend);
    if (reals === undefined) {
      reals = new Map();
      this.byReal.set(backend, reals);
    }
    if (old !== undefined && reals.get(old.realId) === old) reals.delete(old.realId);
    const b: Binding = { backend, realId, epochDelta, producer: p };
    p.bindings.set(backend, b);
    reals.set(realId, b);
    return b;
  }

  private retire(p: VirtualProducer): void {
    this.byVirtual.delete(p.virtualId);
    if (p.transactionalId !== null && this.byTransactionalId.get(p.transactionalId) === p) this.byTransactionalId.delete(p.transactionalId);
    for (const b of p.bindings.values()) {
      const reals = this.byReal.get(b.backend);
      if (reals?.get(b.realId) === b) reals.delete(b.realId);
    }
  }
}

/** What the store keeps of a producer. */
function storedOf(p: VirtualProducer, usedMs: number): StoredProducer {
  const bindings = new Map([...p.bindings].map(([backend, b]) => [backend, { realId: b.realId, epochDelta: b.epochDelta }]));
  return { virtualId: p.virtualId, transactionalId: p.transactionalId, epoch: p.epoch, bindings, usedMs };
}

function realOf(b: Binding, virtualEpoch: number): ProducerIdAndEpoch {
  const epoch = virtualEpoch + b.epochDelta;
  if (epoch < 0 || epoch > MAX_EPOCH) {
    throw new ProducerMappingError(INVALID_PRODUCER_EPOCH, b.producer.virtualId, b.backend, `epoch ${virtualEpoch} has no real epoch`);
  }
  return { producerId: b.realId, producerEpoch: epoch };
}
