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
// the InitProducerId answer that names it, and a moved transactional id's sequence base on a
// partition (below) before the first batch there goes out counted from it. A store that cannot
// read or write is retried for `persistDeadlineMs`, the batch held meanwhile; then the batch
// fails with a retriable error (ProducerStoreError) and is never forwarded under an id or a
// base a successor would not know. Use is recorded in the store at each idle sweep, and the
// sweep removes from the store what it expires from memory (unless another instance has used
// it since).
//
// Transactional producers. Their InitProducerId goes to the transaction coordinator on the
// backend of the transactional id's domain; the answer's real (id, epoch) gets a virtual id
// (kept for the transactional id while the coordinator keeps the real id) and virtual epoch =
// real epoch + delta, delta 0 unless the transactional id moved to another backend. A
// transactional producer writes only to its coordinator's backend: a batch for another
// backend is refused (INVALID_TXN_STATE) rather than spread a transaction over two clusters.
//
// Binding keys. A producer's real ids are bound per key, not per backend: the backend a batch
// goes to with its domain's cutover era (`producerBindingKey` in offset-segments.ts; era 0's
// key is the backend's name, so bindings stored before cutovers existed keep their meaning).
// After each cutover an idempotent producer therefore gets a fresh real id on the backend it
// now writes to, even one it wrote to in an earlier era: a broker accepts any first sequence
// from a producer id it holds no state for (Kafka's ProducerAppendInfo.checkSequence, in
// storage/.../internals/log/ProducerAppendInfo.java: a batch whose epoch differs from the
// entry's is refused a non-zero first sequence only when the entry has an epoch, and an id the
// partition never saw has none, RecordBatch.NO_PRODUCER_EPOCH), whereas an old real id would
// meet the sequences it left there eras ago and be refused OUT_OF_ORDER_SEQUENCE_NUMBER. A
// transactional producer whose id's domain moved (a new key) finds no binding under it: with
// `initTransactional`, Turnout initialises the transactional id on that backend's coordinator
// and binds the answer behind the same virtual id and the virtual epoch the client uses (the
// delta absorbs the difference), stored before the request is forwarded. Its client's
// sequences go on from where they were, but under that binding each partition's first batch
// goes out as sequence 0 and the later ones counted from it, until the client initialises
// again (and starts at 0 itself). A partition may hold state for the real producer before its
// first batch: the real id of an earlier era (the coordinator kept it, with a new epoch), or
// the marker of a transaction aborted before any of its batches got there (it added the
// partition, then its offsets were refused). Either way the broker takes only sequence 0 at
// that epoch; a real id no partition has seen takes 0 as well as any other.
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
import { backendOfBindingKey } from './offset-segments.js';
import { INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, INVALID_TXN_STATE, PRODUCER_FENCED } from './error-codes.js';
import { COORDINATOR_NOT_AVAILABLE } from './failure-responses.js';

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

/** Obtains a new real idempotent producer id on a backend (an InitProducerId without transactional id). */
export type ObtainProducerId = (backend: string) => Promise<ProducerIdAndEpoch>;

/**
 * Initialises a transactional id on a backend's transaction coordinator (an InitProducerId
 * with the id and the client's transaction timeout): its real producer there.
 */
export type InitTransactional = (transactionalId: string, backend: string, transactionTimeoutMs: number) => Promise<ProducerIdAndEpoch>;

/** The transaction timeout a transactional id is initialised with elsewhere when the client's is not known (the Java client's default). */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

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
  /** The binding key (backend, with its era after a cutover). */
  key: string;
  /** The backend the real id is from. */
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
  /** Transactional: the timeout the client's InitProducerId asked for, if known. */
  transactionTimeoutMs: number | undefined;
  /**
   * Transactional: binding key it moved to → `partition:topic` → the client's sequence of its
   * first batch there under that key, which goes out as 0 (see the file comment). Noted when
   * the batch is prepared, in the order the client sent its requests, so that a later batch
   * whose request overtakes the first one's (a carried partition waits for its
   * AddPartitionsToTxn) is still counted from the first. Dropped when the client initialises
   * under the key. Kept in the store too, with the binding (see `noteFirstSequence`).
   */
  sequenceBases: Map<string, Map<string, number>>;
  /**
   * `partition:topic` → the store write of a base noted under the producer's key now, while it
   * is not durable (null: it failed, and the next batch there writes it again).
   */
  unstoredBases: Map<string, Promise<void> | null>;
  /** Binding key → binding. */
  bindings: Map<string, Binding>;
  /** Binding key → a real id being obtained (or a transactional id initialised) there. */
  pending: Map<string, Promise<Binding>>;
  lastUsedMs: number;
  /** The use last recorded in the store. */
  storedUseMs: number;
}

export interface ProducerIdMapOptions {
  obtain: ObtainProducerId;
  /** Initialises a transactional id on a backend it moved to; without it such a batch is refused (INVALID_TXN_STATE). */
  initTransactional?: InitTransactional;
  /** The binding key of a transactional id's domain now (undefined: none claims it); without it, the key a request names. */
  transactionalKeyOf?: (transactionalId: string) => string | undefined;
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
  private readonly initTransactional: InitTransactional | undefined;
  private readonly transactionalKeyOf: ((transactionalId: string) => string | undefined) | undefined;
  private readonly store: ProducerBindingStore | undefined;
  private readonly persistDeadlineMs: number;
  private readonly log: Logger | undefined;
  private readonly randomId: () => bigint;
  private readonly nowMs: () => number;
  private storeSweep: Promise<void> = Promise.resolve();
  private storeFailing = false;

  constructor(opts: ProducerIdMapOptions) {
    this.obtain = opts.obtain;
    this.initTransactional = opts.initTransactional;
    this.transactionalKeyOf = opts.transactionalKeyOf;
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
   * The real producer for a batch's virtual (id, epoch) under binding key `key` (its backend
   * and era): synchronous when the producer already has a real id there, a promise while one
   * is obtained. Throws ProducerMappingError for a producer that cannot write there.
   */
  toReal(virtualId: bigint, virtualEpoch: number, key: string, transactional: boolean): ProducerIdAndEpoch | Promise<ProducerIdAndEpoch> {
    if (virtualId < 0n) return { producerId: virtualId, producerEpoch: virtualEpoch };
    if (this.store !== undefined && !this.byVirtual.has(virtualId)) {
      return this.adopt(virtualId).then((p) => this.realFor(p, virtualEpoch, key, transactional));
    }
    return this.realFor(this.producerForBatch(virtualId, key, transactional), virtualEpoch, key, transactional);
  }

  /** The virtual producer of a real one from `backend`, or undefined when Turnout mapped none to it. */
  toVirtual(backend: string, realId: bigint, realEpoch: number): ProducerIdAndEpoch | undefined {
    const b = this.byReal.get(backend)?.get(realId);
    if (b === undefined) return undefined;
    return { producerId: b.producer.virtualId, producerEpoch: realEpoch < 0 ? realEpoch : realEpoch - b.epochDelta };
  }

  /** The real id a virtual producer has under binding key `key`, if it has one. Never obtains or adopts. */
  realIdIfBound(virtualId: bigint, key: string): bigint | undefined {
    return this.byVirtual.get(virtualId)?.bindings.get(key)?.realId;
  }

  /** Every real id a virtual producer has on `backend` (one per era it wrote there). Never obtains or adopts. */
  realIdsOn(virtualId: bigint, backend: string): bigint[] {
    const p = this.byVirtual.get(virtualId);
    if (p === undefined) return [];
    const ids: bigint[] = [];
    for (const b of p.bindings.values()) if (b.backend === backend && !ids.includes(b.realId)) ids.push(b.realId);
    return ids;
  }

  /**
   * The real (id, epoch) to send in a transactional InitProducerId whose client sent a virtual
   * one (KIP-360 re-initialisation, v3+). -1/-1 for a first initialisation, for a transactional
   * id this instance has no state for, or one that moved to `backend` since: the coordinator
   * then treats it as a new initialisation. An older virtual id of the transactional id throws
   * PRODUCER_FENCED, as the coordinator answers a stale producer id.
   */
  async initRequestToReal(transactionalId: string, key: string, virtualId: bigint, virtualEpoch: number): Promise<ProducerIdAndEpoch> {
    if (virtualId < 0n) return NONE;
    const p = this.byTransactionalId.get(transactionalId) ?? (await this.adoptTransactional(transactionalId));
    if (p === undefined) return NONE;
    if (p.virtualId !== virtualId) {
      throw new ProducerMappingError(PRODUCER_FENCED, virtualId, key, `transactional id ${transactionalId} has a newer producer`);
    }
    p.lastUsedMs = this.nowMs();
    const b = p.bindings.get(key);
    return b === undefined ? NONE : realOf(b, virtualEpoch);
  }

  /**
   * A transactional InitProducerId answered by the coordinator under binding key `key` with
   * `real`: the virtual (id, epoch) to answer the client with. The same real id keeps the
   * virtual id (its epoch follows the real one); a new real id under the same key (epoch
   * exhausted, or a new producer after expiry) gets a new virtual id, as Kafka gives a new
   * producer id; a first answer under another key (another backend, or a later era) keeps the
   * virtual id with the next epoch. `transactionTimeoutMs` is the client's, kept for
   * initialising the id elsewhere after a cutover.
   */
  async bindTransactional(transactionalId: string, key: string, real: ProducerIdAndEpoch, transactionTimeoutMs?: number): Promise<ProducerIdAndEpoch> {
    if (real.producerId < 0n) return real;
    const known = this.byTransactionalId.get(transactionalId) ?? (await this.adoptTransactional(transactionalId));
    const bound = this.bindTransactionalNow(transactionalId, key, real, known);
    if (transactionTimeoutMs !== undefined && transactionTimeoutMs > 0) bound.producer.transactionTimeoutMs = transactionTimeoutMs;
    else if (bound.replaced !== null) bound.producer.transactionTimeoutMs ??= bound.replaced.transactionTimeoutMs;
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
    key: string,
    real: ProducerIdAndEpoch,
    known: VirtualProducer | undefined,
  ): { producer: VirtualProducer; replaced: VirtualProducer | null } {
    let p = known;
    const b = p?.bindings.get(key);
    if (p !== undefined && b !== undefined && b.realId === real.producerId) {
      // The client initialised again: it starts its sequences at 0 with the new epoch, as the broker expects.
      p.sequenceBases.delete(key);
      p.unstoredBases.clear();
      p.epoch = real.producerEpoch - b.epochDelta;
      p.lastUsedMs = this.nowMs();
      return { producer: p, replaced: null };
    }
    if (p !== undefined && b === undefined && p.epoch < MAX_EPOCH) {
      p.epoch += 1;
      p.sequenceBases.delete(key);
      p.unstoredBases.clear();
      this.bind(p, key, real.producerId, real.producerEpoch - p.epoch);
      p.lastUsedMs = this.nowMs();
      return { producer: p, replaced: null };
    }
    const replaced = p ?? null;
    if (p !== undefined) this.retire(p);
    p = this.create(this.newVirtualId(), transactionalId);
    p.epoch = real.producerEpoch;
    this.bind(p, key, real.producerId, 0);
    return { producer: p, replaced };
  }

  /**
   * Makes sure every producer of the v2 batches in `records` has a real id under binding key
   * `key`: null when all have one already, else a promise that settles once they do. Throws
   * ProducerMappingError (synchronously) for a batch that cannot go there. `partition`
   * (`partition:topic`): where the batches go, so that a moved transactional id's first
   * sequence there is noted in the order the client sent them.
   */
  prepareBatches(records: Buffer | null, key: string, partition?: string): Promise<void> | null {
    let waits: Array<Promise<unknown>> | null = null;
    for (const batch of scanRecordBatches(records).batches) {
      if (batch.magic !== MAGIC_V2) continue;
      const virtualId = batch.producerIdBigInt;
      if (virtualId < 0n) continue;
      const known = this.byVirtual.has(virtualId);
      const real = this.toReal(virtualId, batch.producerEpoch, key, batch.isTransactional);
      if (real instanceof Promise) (waits ??= []).push(real);
      if (partition === undefined || !batch.isTransactional) continue;
      const sequence = batch.baseSequence;
      // An adopted producer's bases come from the store: noted once it is adopted, in the
      // order the batches were prepared (callbacks on one promise run in the order added).
      const noted = known || !(real instanceof Promise)
        ? this.noteFirstSequence(virtualId, key, partition, sequence)
        : real.then(() => this.noteFirstSequence(virtualId, key, partition, sequence));
      if (noted !== null) (waits ??= []).push(noted);
    }
    return waits === null ? null : Promise.all(waits).then(() => undefined);
  }

  /**
   * A moved transactional producer's first sequence on a partition under `key`, when not noted
   * yet. With a store, a promise that settles once the base is durable there (null when it is
   * already): a successor must count the client's later batches from the same first one, so
   * no batch is forwarded under a base the store does not hold.
   */
  private noteFirstSequence(virtualId: bigint, key: string, partition: string, sequence: number): Promise<void> | null {
    const p = this.byVirtual.get(virtualId);
    if (p === undefined || p.sequenceBases.size === 0) return null;
    const own = this.keyFor(p, key);
    const bases = p.sequenceBases.get(own);
    if (bases === undefined) return null;
    if (!bases.has(partition)) {
      bases.set(partition, sequence);
      if (this.store === undefined) return null;
      p.unstoredBases.set(partition, null);
    }
    if (!p.unstoredBases.has(partition)) return null;
    return p.unstoredBases.get(partition) ?? this.storeSequenceBase(p, own, partition, bases);
  }

  /** Writes the base noted for `partition` under `key` to the store, after the binding it belongs to. */
  private storeSequenceBase(p: VirtualProducer, key: string, partition: string, bases: Map<string, number>): Promise<void> {
    const store = this.store as ProducerBindingStore;
    const moving = p.pending.get(key);
    const base = bases.get(partition) as number;
    const written = (async (): Promise<void> => {
      // The move stores the producer whole: the base goes in after it.
      if (moving !== undefined) await moving;
      const usedMs = this.nowMs();
      const standing = await this.persisting('store a sequence base', () => store.claimSequenceBase(p.virtualId, key, partition, base, usedMs));
      p.storedUseMs = Math.max(p.storedUseMs, usedMs);
      // Another instance counted this partition first: its base stands.
      if (p.sequenceBases.get(key) === bases) bases.set(partition, standing);
    })().then(
      () => {
        if (p.unstoredBases.get(partition) === written) p.unstoredBases.delete(partition);
      },
      (err: unknown) => {
        if (p.unstoredBases.get(partition) === written) p.unstoredBases.set(partition, null);
        throw err;
      },
    );
    p.unstoredBases.set(partition, written);
    return written;
  }

  /**
   * Rewrites the producer id and epoch of every v2 batch in `records` to the real ones bound
   * under `key`, in place (the CRC is updated; the sequence is kept, but for a moved
   * transactional id's, counted from its first on the partition). `prepareBatches` must
   * have settled first. Throws ProducerMappingError for a batch that cannot go there.
   */
  rewriteBatchesToReal(records: Buffer | null, key: string, partition?: string): void {
    for (const batch of scanRecordBatches(records).batches) {
      if (batch.magic !== MAGIC_V2) continue;
      const virtualId = batch.producerIdBigInt;
      if (virtualId < 0n) continue;
      const p = this.producerForBatch(virtualId, key, batch.isTransactional);
      const own = this.keyFor(p, key);
      const b = p.bindings.get(own);
      if (b === undefined) throw new Error(`producer ${virtualId} has no real id under ${key} yet: prepare the batches first`);
      const real = realOf(b, batch.producerEpoch);
      const bases = partition === undefined ? undefined : p.sequenceBases.get(own);
      if (bases === undefined || partition === undefined) {
        batch.rewriteProducer({ producerId: real.producerId, producerEpoch: real.producerEpoch });
        continue;
      }
      let base = bases.get(partition);
      if (base === undefined) {
        // Not noted when prepared: a base only this instance would know.
        if (this.store !== undefined) throw new Error(`producer ${virtualId} has no sequence base on ${partition} under ${key}: prepare the batches first`);
        bases.set(partition, (base = batch.baseSequence));
      } else if (p.unstoredBases.has(partition)) {
        throw new Error(`producer ${virtualId}'s sequence base on ${partition} under ${key} is not stored yet: prepare the batches first`);
      }
      batch.rewriteProducer({ producerId: real.producerId, producerEpoch: real.producerEpoch, baseSequence: rebasedSequence(batch.baseSequence, base) });
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

  /**
   * The key `p` is bound under for a write under `key`: `key` itself, but for a transactional
   * producer its transactional id's key now (the id's domain may be another domain of the same
   * backend, in another era). Throws when the id lives on another backend: a transaction is
   * never spread over two clusters.
   */
  private keyFor(p: VirtualProducer, key: string): string {
    if (p.transactionalId === null || this.transactionalKeyOf === undefined) return key;
    const own = this.transactionalKeyOf(p.transactionalId);
    if (own === undefined || backendOfBindingKey(own) !== backendOfBindingKey(key)) {
      throw new ProducerMappingError(INVALID_TXN_STATE, p.virtualId, key, `transactional id ${p.transactionalId} lives on another backend`);
    }
    return own;
  }

  /** The real producer of `p` under `key`: at once when it has one there, else once one is obtained (and stored). */
  private realFor(p: VirtualProducer, virtualEpoch: number, key: string, transactional: boolean): ProducerIdAndEpoch | Promise<ProducerIdAndEpoch> {
    if (transactional && p.transactionalId === null) {
      throw new ProducerMappingError(INVALID_PRODUCER_ID_MAPPING, p.virtualId, key, 'transactional batch from an idempotent producer id');
    }
    p.lastUsedMs = this.nowMs();
    const own = this.keyFor(p, key);
    const b = p.bindings.get(own);
    if (b !== undefined) return realOf(b, virtualEpoch);
    if (p.transactionalId !== null) {
      if (this.initTransactional === undefined) {
        throw new ProducerMappingError(INVALID_TXN_STATE, p.virtualId, own, `transactional id ${p.transactionalId} lives on another backend`);
      }
      return this.moveTransactional(p, own, virtualEpoch).then((bound) => realOf(bound, virtualEpoch));
    }
    return this.obtainBinding(p, own).then((bound) => realOf(bound, virtualEpoch));
  }

  /**
   * A transactional producer's first request under a key it has no binding for (its id's
   * domain moved): the id initialised on that backend's coordinator, bound behind the same
   * virtual id at the client's virtual epoch, and stored before anything is forwarded under it.
   */
  private moveTransactional(p: VirtualProducer, key: string, virtualEpoch: number): Promise<Binding> {
    const pending = p.pending.get(key);
    if (pending !== undefined) return pending;
    // From here the client's batches under the key are counted from their first sequence (noted
    // as they are prepared); those of an earlier key are over, as a transactional id has one key at a time.
    for (const k of p.sequenceBases.keys()) if (k !== key) p.sequenceBases.delete(k);
    if (!p.sequenceBases.has(key)) {
      p.sequenceBases.set(key, new Map());
      p.unstoredBases.clear();
    }
    const init = this.initTransactional as InitTransactional;
    const transactionalId = p.transactionalId as string;
    const moved = (async (): Promise<Binding> => {
      let real: ProducerIdAndEpoch;
      try {
        real = await init(transactionalId, backendOfBindingKey(key), p.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS);
      } catch (err) {
        // The client retries and the coordinator is asked again: a retriable answer, never a closed connection.
        this.log?.warn({ err, transactionalId, key }, 'transactional id not initialised where its domain moved');
        throw new ProducerMappingError(COORDINATOR_NOT_AVAILABLE, p.virtualId, key, `transactional id ${transactionalId} not initialised there`);
      }
      const epochDelta = real.producerEpoch - virtualEpoch;
      const epoch = Math.max(p.epoch, virtualEpoch);
      const store = this.store;
      if (store !== undefined) {
        const stored = storedOf(p, this.nowMs());
        stored.bindings.set(key, { realId: real.producerId, epochDelta });
        stored.epoch = epoch;
        await this.persisting('store a transactional producer', () => store.putTransactional(stored, null));
        p.storedUseMs = Math.max(p.storedUseMs, stored.usedMs);
      }
      p.epoch = epoch;
      // Back on a backend whose coordinator kept the id from an earlier era, or a new id there.
      const returned = this.realIdsOn(p.virtualId, backendOfBindingKey(key)).includes(real.producerId);
      this.log?.info({ virtualId: String(p.virtualId), transactionalId, key, realId: String(real.producerId), returned }, 'transactional id initialised where its domain moved');
      return this.bind(p, key, real.producerId, epochDelta);
    })().finally(() => p.pending.delete(key));
    p.pending.set(key, moved);
    return moved;
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
    p.transactionTimeoutMs = stored.transactionTimeoutMs;
    p.storedUseMs = stored.usedMs;
    for (const [key, b] of stored.bindings) this.bind(p, key, b.realId, b.epochDelta);
    // A moved id's sequences go on being counted from the first batches its predecessor forwarded.
    for (const [key, bases] of stored.sequenceBases ?? []) if (p.bindings.has(key)) p.sequenceBases.set(key, new Map(bases));
    const sequenceBases = p.sequenceBases.size === 0 ? undefined : Object.fromEntries([...p.sequenceBases].map(([k, bases]) => [k, Object.fromEntries(bases)]));
    this.log?.info({ virtualId: String(stored.virtualId), transactionalId: stored.transactionalId, keys: [...stored.bindings.keys()], sequenceBases }, 'producer adopted from the binding store');
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
  private producerForBatch(virtualId: bigint, key: string, transactional: boolean): VirtualProducer {
    const p = this.byVirtual.get(virtualId);
    if (p !== undefined) return p;
    if (transactional) throw new ProducerMappingError(INVALID_PRODUCER_ID_MAPPING, virtualId, key, 'unknown transactional producer');
    return this.create(virtualId, null);
  }

  private obtainBinding(p: VirtualProducer, key: string): Promise<Binding> {
    const pending = p.pending.get(key);
    if (pending !== undefined) return pending;
    const obtained = this.obtain(backendOfBindingKey(key))
      .then((real) => this.claim(p, key, real.producerId))
      .then(
        (realId) => {
          p.pending.delete(key);
          // The epoch the backend gave is not used: see the file comment.
          return p.bindings.get(key) ?? this.bind(p, key, realId, 0);
        },
        (err: unknown) => {
          p.pending.delete(key);
          throw err;
        },
      );
    p.pending.set(key, obtained);
    return obtained;
  }

  /** The real id that stands for `p` under `key`: `realId`, stored durably, or the one another instance stored first. */
  private async claim(p: VirtualProducer, key: string, realId: bigint): Promise<bigint> {
    const store = this.store;
    if (store === undefined) return realId;
    const usedMs = this.nowMs();
    const standing = await this.persisting('store a producer binding', () => store.claimBinding(p.virtualId, key, { realId, epochDelta: 0 }, usedMs));
    p.storedUseMs = Math.max(p.storedUseMs, usedMs);
    return standing.realId;
  }

  private create(virtualId: bigint, transactionalId: string | null): VirtualProducer {
    const p: VirtualProducer = {
      virtualId,
      transactionalId,
      epoch: 0,
      transactionTimeoutMs: undefined,
      sequenceBases: new Map(),
      unstoredBases: new Map(),
      bindings: new Map(),
      pending: new Map(),
      lastUsedMs: this.nowMs(),
      storedUseMs: 0,
    };
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

  private bind(p: VirtualProducer, key: string, realId: bigint, epochDelta: number): Binding {
    const backend = backendOfBindingKey(key);
    const old = p.bindings.get(key);
    let reals = this.byReal.get(backend);
    if (reals === undefined) {
      reals = new Map();
      this.byReal.set(backend, reals);
    }
    if (old !== undefined && reals.get(old.realId) === old) reals.delete(old.realId);
    const b: Binding = { key, backend, realId, epochDelta, producer: p };
    p.bindings.set(key, b);
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
  const bindings = new Map([...p.bindings].map(([key, b]) => [key, { realId: b.realId, epochDelta: b.epochDelta }]));
  const stored: StoredProducer = { virtualId: p.virtualId, transactionalId: p.transactionalId, epoch: p.epoch, bindings, usedMs };
  if (p.transactionTimeoutMs !== undefined) stored.transactionTimeoutMs = p.transactionTimeoutMs;
  if (p.sequenceBases.size > 0) stored.sequenceBases = new Map([...p.sequenceBases].map(([key, bases]) => [key, new Map(bases)]));
  return stored;
}

/** A client's sequence counted from `base` (sequences wrap from 2^31 - 1 to 0). */
function rebasedSequence(sequence: number, base: number): number {
  const d = sequence - base;
  return d < 0 ? d + SEQUENCE_WRAP : d;
}

const SEQUENCE_WRAP = 2 ** 31;

function realOf(b: Binding, virtualEpoch: number): ProducerIdAndEpoch {
  const epoch = virtualEpoch + b.epochDelta;
  if (epoch < 0 || epoch > MAX_EPOCH) {
    throw new ProducerMappingError(INVALID_PRODUCER_EPOCH, b.producer.virtualId, b.key, `epoch ${virtualEpoch} has no real epoch`);
  }
  return { producerId: b.realId, producerEpoch: epoch };
}
