// Virtual topic ids: the topic ids clients see (Metadata v10+, Fetch v13+, Produce v13,
// DescribeTopicPartitions, ...), each mapped to the real id of the topic on every backend that
// has it. An id once handed out is never handed out again, and is never the zero uuid, the
// reserved metadata-topic uuid (ONE_UUID) or a string starting with '-' (Kafka's own
// `Uuid.randomUuid` rules).
//
// A virtual id is derived, not drawn: SHA-256 of (topic name, serving backend, the topic's
// real id there), truncated to a version-8 uuid (`deriveTopicId`). Two Turnout instances that
// first see a topic served by the same backend therefore present the same id without
// talking to each other. A topic first seen only on a backend that does not serve it (a
// migration target) has no id until its serving backend shows it: its real id there is kept
// and bound then.
//
// When the id changes, by Kafka's semantics:
// - The topic moves to another backend (a domain rerouted or cut over): the virtual id stays.
//   To clients it is the same topic; only Turnout's routing changed. (An instance that first
//   sees the topic after the move would derive another id: the shared store gives it the
//   topic's history instead, see src/policy/identity-sync.ts.)
// - The backend that serves the topic reports a new real id for it: the topic was deleted and
//   recreated there. Kafka gives a recreated topic a new id and clients (the Java client
//   compares ids in Metadata, Fetch answers UNKNOWN_TOPIC_ID / INCONSISTENT_TOPIC_ID for the
//   old one) must see a new id too, so the topic gets a new virtual id, derived from the new
//   real id, and the old one stops resolving, exactly as the old real id would on the broker.
// - A backend that does not serve the topic (a migration target being prepared) reports a new
//   real id: only its binding changes. Clients never read that incarnation.
//
// Sharing: `onChange` reports every change this instance makes (not the adopted ones) so a
// store can write it; `adopt` / `adoptForget` take what another instance decided.
import { createHash } from 'node:crypto';
import { ZERO_UUID } from '../codec/index.js';

/** Kafka's reserved uuid for the KRaft metadata topic (`Uuid.ONE_UUID`), never a random id. */
export const ONE_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** What an observation did to the topic's virtual id. */
export type TopicIdChange =
  /** Already bound exactly so. */
  | 'unchanged'
  /** First sight of the topic: a virtual id was assigned. */
  | 'assigned'
  /** A backend's real id was bound to the existing virtual id (a new backend, or a non-serving backend's new real id). */
  | 'bound'
  /** The serving backend reports a new real id: the topic was recreated and has a new virtual id. */
  | 'recreated';

export interface TopicIdObservation {
  virtualId: string;
  change: TopicIdChange;
}

/** What `observeOther` did: a topic no serving backend has shown yet has no virtual id. */
export interface OtherBackendObservation {
  virtualId: string | undefined;
  change: TopicIdChange | 'pending';
}

/** One topic as the store would share it. */
export interface TopicIdEntry {
  name: string;
  virtualId: string;
  /** The backend serving the topic when last observed, or null if only non-serving backends have been seen. */
  servingBackend: string | null;
  /** Backend name → the topic's real id there. */
  realIds: Record<string, string>;
}

/** A change this instance made, for a store to share. */
export type TopicIdMapChange =
  /** The topic's entry is now `entry`; `previousVirtualId` is the id it replaced (recreated), else null. */
  | { kind: 'set'; entry: TopicIdEntry; previousVirtualId: string | null }
  /** The topic was deleted: `virtualId` no longer resolves. */
  | { kind: 'forget'; name: string; virtualId: string };

export type TopicIdMapListener = (change: TopicIdMapChange) => void;

/** Derives a candidate virtual id; `attempt` counts up while a candidate is reserved or already issued. */
export type TopicIdDerivation = (name: string, backend: string, realId: string, attempt: number) => string;

export interface TopicIdMapOptions {
  /** Source of candidate ids in display form (tests inject collisions). Default: `deriveTopicId`. */
  deriveId?: TopicIdDerivation;
}

interface TopicEntry {
  name: string;
  virtualId: string;
  servingBackend: string | null;
  realIds: Map<string, string>;
}

/**
 * The virtual id of topic `name` served by `backend` with real id `realId`: the first 16
 * bytes of SHA-256 over the three (NUL-separated: no topic or backend name holds a NUL) and
 * the attempt, marked as a version-8 (custom) RFC 9562 uuid, in Kafka's display form.
 */
export function deriveTopicId(name: string, backend: string, realId: string, attempt: number): string {
  const digest = createHash('sha256').update(`${name}\0${backend}\0${realId}\0${attempt}`).digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return bytes.toString('base64url');
}

/** True for an id Kafka would never generate: the zero or one uuid, or one printed with a leading '-'. */
export function isReservedTopicId(id: string): boolean {
  return id === ZERO_UUID || id === ONE_UUID || id.startsWith('-');
}

const MAX_ID_ATTEMPTS = 1000;

/**
 * The virtual id a topic first seen served by `backend` with real id `realId` gets when no
 * candidate has been issued before: the first derivation Kafka could have generated (about one
 * candidate in 64 starts with '-' and is skipped).
 */
export function firstTopicId(name: string, backend: string, realId: string): string {
  for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
    const id = deriveTopicId(name, backend, realId, attempt);
    if (!isReservedTopicId(id)) return id;
  }
  throw new Error(`no usable virtual topic id for ${name} after ${MAX_ID_ATTEMPTS} attempts`);
}

export class TopicIdMap {
  private readonly byName = new Map<string, TopicEntry>();
  private readonly byVirtualId = new Map<string, TopicEntry>();
  /** Backend → real id → entry. */
  private readonly byRealId = new Map<string, Map<string, TopicEntry>>();
  /** Real ids on non-serving backends of topics without a virtual id yet: name → backend → real id. */
  private readonly pending = new Map<string, Map<string, string>>();
  /** Every virtual id ever handed out, live or retired: never reused. */
  private readonly issued = new Set<string>();
  private readonly deriveId: TopicIdDerivation;
  private readonly listeners = new Set<TopicIdMapListener>();

  constructor(opts: TopicIdMapOptions = {}) {
    this.deriveId = opts.deriveId ?? deriveTopicId;
  }

  /** Number of topics with a live virtual id. */
  get size(): number {
    return this.byName.size;
  }

  /** Calls `listener` after every change this instance makes (never for adopted ones). Returns an unsubscribe. */
  onChange(listener: TopicIdMapListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Records that `backend` serves topic `name` with real id `realId` (as its Metadata says).
   * Assigns a virtual id on first sight; a different real id from the same serving backend
   * means the topic was recreated, which gives it a new virtual id.
   */
  observeServing(backend: string, name: string, realId: string): TopicIdObservation {
    checkRealId(realId);
    const entry = this.byName.get(name);
    if (entry === undefined) {
      const created = this.create(name, backend, realId);
      this.emitSet(created, null);
      return { virtualId: created.virtualId, change: 'assigned' };
    }
    const bound = entry.realIds.get(backend);
    if (entry.servingBackend === backend && bound !== undefined && bound !== realId) {
      this.retire(entry);
      const created = this.create(name, backend, realId);
      this.emitSet(created, entry.virtualId);
      return { virtualId: created.virtualId, change: 'recreated' };
    }
    const wasServing = entry.servingBackend === backend;
    entry.servingBackend = backend;
    if (bound === realId && wasServing) return { virtualId: entry.virtualId, change: 'unchanged' };
    if (bound !== realId) this.bind(entry, backend, realId);
    this.emitSet(entry, null);
    return { virtualId: entry.virtualId, change: 'bound' };
  }

  /**
   * Records the real id of topic `name` on a backend that does not serve it (a migration
   * target). Binds it to the topic's virtual id; never changes an existing virtual id. A topic
   * no serving backend has shown yet gets no id: the binding waits for its first serving sight.
   */
  observeOther(backend: string, name: string, realId: string): OtherBackendObservation {
    checkRealId(realId);
    const entry = this.byName.get(name);
    if (entry === undefined) {
      let reals = this.pending.get(name);
      if (reals === undefined) this.pending.set(name, (reals = new Map()));
      reals.set(backend, realId);
      return { virtualId: undefined, change: 'pending' };
    }
    if (entry.realIds.get(backend) === realId) return { virtualId: entry.virtualId, change: 'unchanged' };
    this.bind(entry, backend, realId);
    this.emitSet(entry, null);
    return { virtualId: entry.virtualId, change: 'bound' };
  }

  /** The live virtual id of a topic, if it has one. */
  virtualIdOf(name: string): string | undefined {
    return this.byName.get(name)?.virtualId;
  }

  /** The topic a live virtual id names. A retired id (topic recreated or forgotten) resolves to nothing. */
  nameOf(virtualId: string): string | undefined {
    return this.byVirtualId.get(virtualId)?.name;
  }

  /** The real id on `backend` of the topic a virtual id names. */
  realIdOf(virtualId: string, backend: string): string | undefined {
    return this.byVirtualId.get(virtualId)?.realIds.get(backend);
  }

  /** The virtual id of the topic whose real id on `backend` is `realId`. */
  virtualIdOfReal(backend: string, realId: string): string | undefined {
    return this.byRealId.get(backend)?.get(realId)?.virtualId;
  }

  /** The backend that served the topic when last observed. */
  servingBackendOf(name: string): string | undefined {
    return this.byName.get(name)?.servingBackend ?? undefined;
  }

  /** Forgets a deleted topic: its virtual id stops resolving and is never handed out again. */
  forget(name: string): void {
    this.pending.delete(name);
    const entry = this.byName.get(name);
    if (entry === undefined) return;
    this.retire(entry);
    this.emit({ kind: 'forget', name, virtualId: entry.virtualId });
  }

  /** Another instance forgot a deleted topic: forgets it too, if it still has that virtual id here. */
  adoptForget(name: string, virtualId: string): void {
    const entry = this.byName.get(name);
    if (entry !== undefined && entry.virtualId === virtualId) this.retire(entry);
  }

  /** One live topic as the store would share it. */
  entryOf(name: string): TopicIdEntry | undefined {
    const e = this.byName.get(name);
    return e === undefined ? undefined : shared(e);
  }

  /** Every live topic, for the policy store to share with other instances. */
  entries(): TopicIdEntry[] {
    return [...this.byName.values()].map(shared);
  }

  /**
   * Takes a topic's ids as another instance assigned them. With the virtual id this instance
   * has for the name, the bindings are merged (the adopted ones win per backend) and the
   * serving backend this instance observed is kept; with another id, it replaces what this
   * instance had. Throws if the virtual id is reserved or already names another topic here.
   */
  adopt(entry: TopicIdEntry): void {
    if (isReservedTopicId(entry.virtualId)) throw new RangeError(`reserved virtual topic id ${entry.virtualId}`);
    const holder = this.byVirtualId.get(entry.virtualId);
    if (holder !== undefined && holder.name !== entry.name) {
      throw new RangeError(`virtual topic id ${entry.virtualId} already names topic ${holder.name}`);
    }
    const old = this.byName.get(entry.name);
    let adopted: TopicEntry;
    if (old !== undefined && old.virtualId === entry.virtualId) {
      adopted = old;
      adopted.servingBackend ??= entry.servingBackend;
    } else {
      if (old !== undefined) this.retire(old);
      adopted = { name: entry.name, virtualId: entry.virtualId, servingBackend: entry.servingBackend, realIds: new Map() };
      this.issued.add(entry.virtualId);
      this.byName.set(entry.name, adopted);
      this.byVirtualId.set(entry.virtualId, adopted);
      this.bindPending(adopted);
    }
    for (const [backend, realId] of Object.entries(entry.realIds)) {
      if (realId !== ZERO_UUID && adopted.realIds.get(backend) !== realId) this.bind(adopted, backend, realId);
    }
  }

  private create(name: string, servingBackend: string, realId: string): TopicEntry {
    const entry: TopicEntry = { name, virtualId: this.newVirtualId(name, servingBackend, realId), servingBackend, realIds: new Map() };
    this.byName.set(name, entry);
    this.byVirtualId.set(entry.virtualId, entry);
    this.bindPending(entry);
    this.bind(entry, servingBackend, realId);
    return entry;
  }

  private bindPending(entry: TopicEntry): void {
    const reals = this.pending.get(entry.name);
    if (reals === undefined) return;
    this.pending.delete(entry.name);
    for (const [backend, realId] of reals) this.bind(entry, backend, realId);
  }

  private newVirtualId(name: string, backend: string, realId: string): string {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const id = this.deriveId(name, backend, realId, attempt);
      if (id.length !== 22 || isReservedTopicId(id) || this.issued.has(id)) continue;
      this.issued.add(id);
      return id;
    }
    throw new Error(`no fresh virtual topic id for ${name} after ${MAX_ID_ATTEMPTS} attempts`);
  }

  private bind(entry: TopicEntry, backend: string, realId: string): void {
    let reals = this.byRealId.get(backend);
    if (reals === undefined) {
      reals = new Map();
      this.byRealId.set(backend, reals);
    }
    const previous = entry.realIds.get(backend);
    if (previous !== undefined && reals.get(previous) === entry) reals.delete(previous);
    // A real id names one topic on its backend; a stale binding of another name goes.
    const other = reals.get(realId);
    if (other !== undefined && other !== entry) other.realIds.delete(backend);
    entry.realIds.set(backend, realId);
    reals.set(realId, entry);
  }

  private retire(entry: TopicEntry): void {
    this.byName.delete(entry.name);
    this.byVirtualId.delete(entry.virtualId);
    for (const [backend, realId] of entry.realIds) {
      const reals = this.byRealId.get(backend);
      if (reals?.get(realId) === entry) reals.delete(realId);
    }
  }

  private emitSet(entry: TopicEntry, previousVirtualId: string | null): void {
    if (this.listeners.size > 0) this.emit({ kind: 'set', entry: shared(entry), previousVirtualId });
  }

  private emit(change: TopicIdMapChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function shared(e: TopicEntry): TopicIdEntry {
  return { name: e.name, virtualId: e.virtualId, servingBackend: e.servingBackend, realIds: Object.fromEntries(e.realIds) };
}

function checkRealId(realId: string): void {
  if (realId === ZERO_UUID) throw new RangeError('the zero uuid is not a topic id');
}
