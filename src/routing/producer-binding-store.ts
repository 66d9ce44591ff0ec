// Where virtual producers' real ids are kept beyond one instance's memory, so that a Turnout
// restarted (even killed) mid-stream, or another instance adopting a failed peer's producers,
// forwards a producer's retried batches under the same real producer id as before: the broker
// then recognises them by their sequence numbers and stores each record once.
//
// The rule (see producer-id-map.ts): a binding is in the store before the first batch is
// forwarded under it, and a transactional binding before the client is answered. A store
// that cannot write makes the batch wait, then fail with a retriable error: never forwarded
// under an id a successor would not know.
//
// Two implementations: a journal file for one instance (producer-binding-file-store.ts), and
// Redis shared by the instances of a virtual cluster (producer-binding-redis-store.ts).

/** A virtual producer's real producer on one backend. */
export interface StoredBinding {
  realId: bigint;
  /** real epoch = virtual epoch + epochDelta (0 for idempotent producers). */
  epochDelta: number;
}

/** A virtual producer as the store keeps it. */
export interface StoredProducer {
  virtualId: bigint;
  transactionalId: string | null;
  /** Transactional: the virtual epoch of the last InitProducerId answer; 0 otherwise. */
  epoch: number;
  /**
   * Binding key → its real producer. A key is a backend name, with the era of a cutover after
   * the first (`producerBindingKey` in offset-segments.ts): keys stored before cutovers existed
   * are plain backend names, which are era 0's keys.
   */
  bindings: Map<string, StoredBinding>;
  /** Transactional: the transaction timeout the client asked for, used when Turnout initialises its id on another backend. */
  transactionTimeoutMs?: number;
  /**
   * Transactional, after its id moved (producer-id-map.ts): the key it moved to → `partition:topic`
   * → the client's sequence of its first batch there, which went out as 0. One key at most,
   * one entry per partition written since the move; without them a successor would forward
   * the client's sequences as they are and the broker would refuse them.
   */
  sequenceBases?: Map<string, Map<string, number>>;
  /** When an instance last used the producer (ms since the epoch): idle expiry counts from it. */
  usedMs: number;
}

/** Which producer a touch or an expiry is about. */
export interface ProducerKey {
  virtualId: bigint;
  transactionalId: string | null;
}

export interface ProducerBindingStore {
  /** Named in logs and errors. */
  readonly kind: 'file' | 'redis';
  /** The stored producer of a virtual id, or null. */
  find(virtualId: bigint): Promise<StoredProducer | null>;
  /** The stored producer a transactional id has now, or null. */
  findTransactional(transactionalId: string): Promise<StoredProducer | null>;
  /**
   * Stores an idempotent producer's real id under a binding key (`backend` or `backend#era`)
   * unless one is stored already (another instance was first): resolves, once durable, with
   * the binding that stands.
   */
  claimBinding(virtualId: bigint, backend: string, binding: StoredBinding, usedMs: number): Promise<StoredBinding>;
  /**
   * Stores a transactional producer whole, replacing what was stored for it, and removes
   * `replacedVirtualId` (the producer its transactional id had before), once durable.
   */
  putTransactional(producer: StoredProducer, replacedVirtualId: bigint | null): Promise<void>;
  /**
   * Stores a moved transactional producer's sequence base on a partition under binding key
   * `key` (dropping bases of any other key) unless one is stored already: resolves, once
   * durable, with the base that stands. A producer no longer stored keeps nothing: `base`.
   */
  claimSequenceBase(virtualId: bigint, key: string, partition: string, base: number, usedMs: number): Promise<number>;
  /** Records that producers were used at `usedMs`; a lost touch only shortens their life. */
  touch(producers: readonly ProducerKey[], usedMs: number): Promise<void>;
  /**
   * Removes the producers not used since `idleBeforeMs` (one another instance used since is
   * kept). The file store also drops every other producer idle that long.
   */
  forgetIdle(producers: readonly ProducerKey[], idleBeforeMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A store that could not read or write; the request that needed it gets a retriable error. */
export class ProducerStoreError extends Error {
  readonly store: string;
  readonly operation: string;

  constructor(store: string, operation: string, cause: unknown) {
    super(`producer binding store (${store}) could not ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ProducerStoreError';
    this.store = store;
    this.operation = operation;
  }
}

/** A stored producer as one JSON object (ids as decimal strings: they exceed 2^53). */
export interface ProducerJson {
  virtualId: string;
  transactionalId: string | null;
  epoch: number;
  bindings: Record<string, { realId: string; epochDelta: number }>;
  usedMs: number;
  transactionTimeoutMs?: number;
  sequenceBases?: Record<string, Record<string, number>>;
}

export function producerToJson(p: StoredProducer): ProducerJson {
  const bindings: ProducerJson['bindings'] = {};
  for (const [backend, b] of p.bindings) bindings[backend] = { realId: b.realId.toString(), epochDelta: b.epochDelta };
  const json: ProducerJson = { virtualId: p.virtualId.toString(), transactionalId: p.transactionalId, epoch: p.epoch, bindings, usedMs: p.usedMs };
  if (p.transactionTimeoutMs !== undefined) json.transactionTimeoutMs = p.transactionTimeoutMs;
  if (p.sequenceBases !== undefined && p.sequenceBases.size > 0) {
    const bases: Record<string, Record<string, number>> = {};
    for (const [key, partitions] of p.sequenceBases) bases[key] = Object.fromEntries(partitions);
    json.sequenceBases = bases;
  }
  return json;
}

/** A copy of `p` that shares no map with it. */
export function copyOfProducer(p: StoredProducer): StoredProducer {
  const copy: StoredProducer = { ...p, bindings: new Map(p.bindings) };
  if (p.sequenceBases !== undefined) copy.sequenceBases = new Map([...p.sequenceBases].map(([key, bases]) => [key, new Map(bases)]));
  return copy;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object as JSON has it, or null; Lua's cjson writes an emptied table as []. */
function objectOf(v: unknown): Record<string, unknown> | null {
  if (Array.isArray(v) && v.length === 0) return {};
  return isRecord(v) ? v : null;
}

const MAX_SEQUENCE = 2 ** 31 - 1;

/** Stored sequence bases checked entry by entry, or null. */
function sequenceBasesFromJson(v: unknown): Map<string, Map<string, number>> | null {
  const raw = objectOf(v);
  if (raw === null) return null;
  const bases = new Map<string, Map<string, number>>();
  for (const [key, partitionsRaw] of Object.entries(raw)) {
    const partitions = objectOf(partitionsRaw);
    if (partitions === null) return null;
    const byPartition = new Map<string, number>();
    for (const [partition, base] of Object.entries(partitions)) {
      if (!Number.isInteger(base) || (base as number) < 0 || (base as number) > MAX_SEQUENCE) return null;
      byPartition.set(partition, base as number);
    }
    bases.set(key, byPartition);
  }
  return bases;
}

const DECIMAL_ID = /^-?\d{1,20}$/;

/** A stored binding checked field by field, or null. */
export function bindingFromJson(v: unknown): StoredBinding | null {
  if (!isRecord(v) || typeof v.realId !== 'string' || !DECIMAL_ID.test(v.realId) || !Number.isInteger(v.epochDelta)) return null;
  return { realId: BigInt(v.realId), epochDelta: v.epochDelta as number };
}

/** A stored producer checked field by field (a store is shared or on disk: never trust its shape), or null. */
export function producerFromJson(v: unknown): StoredProducer | null {
  if (!isRecord(v) || typeof v.virtualId !== 'string' || !DECIMAL_ID.test(v.virtualId)) return null;
  if (v.transactionalId !== null && typeof v.transactionalId !== 'string') return null;
  if (!Number.isInteger(v.epoch) || typeof v.usedMs !== 'number') return null;
  const raw = objectOf(v.bindings);
  if (raw === null) return null;
  const bindings = new Map<string, StoredBinding>();
  for (const [backend, b] of Object.entries(raw)) {
    const binding = bindingFromJson(b);
    if (binding === null) return null;
    bindings.set(backend, binding);
  }
  const p: StoredProducer = { virtualId: BigInt(v.virtualId), transactionalId: v.transactionalId, epoch: v.epoch as number, bindings, usedMs: v.usedMs };
  if (Number.isInteger(v.transactionTimeoutMs)) p.transactionTimeoutMs = v.transactionTimeoutMs as number;
  if (v.sequenceBases !== undefined) {
    const bases = sequenceBasesFromJson(v.sequenceBases);
    if (bases === null) return null;
    if (bases.size > 0) p.sequenceBases = bases;
  }
  return p;
}
