// Virtual topic ids: the topic ids clients see (Metadata v10+, Fetch v13+, Produce v13,
// DescribeTopicPartitions, ...), each mapped to the real id of the topic on every backend that
// has it. A virtual id is random, in Kafka's display form, and never the zero uuid, the
// reserved metadata-topic uuid (ONE_UUID) or a string starting with '-' (Kafka's own
// `Uuid.randomUuid` rules); an id once handed out is never handed out again.
//
// When the id changes, by Kafka's semantics:
// - The topic moves to another backend (a domain rerouted or cut over): the virtual id stays.
//   To clients it is the same topic; only Turnout's routing changed.
// - The backend that serves the topic reports a new real id for it: the topic was deleted and
//   recreated there. Kafka gives a recreated topic a new id and clients (the Java client
//   compares ids in Metadata, Fetch answers UNKNOWN_TOPIC_ID / INCONSISTENT_TOPIC_ID for the
//   old one) must see a new id too, so the topic gets a new virtual id and the old one stops
//   resolving, exactly as the old real id would on the broker.
// - A backend that does not serve the topic (a migration target being prepared) reports a new
//   real id: only its binding changes. Clients never read that incarnation.
//
// The map is per process. Several Turnout instances must agree on virtual ids (a client may
// reach any of them), so the policy store is expected to share `entries()` and feed them to
// `adopt()`; until then each instance assigns its own.
import { randomUUID } from 'node:crypto';
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

/** One topic as the store would share it. */
export interface TopicIdEntry {
  name: string;
  virtualId: string;
  /** The backend serving the topic when last observed, or null if only non-serving backends have been seen. */
  servingBackend: string | null;
  /** Backend name → the topic's real id there. */
  realIds: Record<string, string>;
}

export interface TopicIdMapOptions {
  /** Source of candidate ids in display form (tests inject collisions). Default: random v4 uuids. */
  generateId?: () => string;
}

interface TopicEntry {
  name: string;
  virtualId: string;
  servingBackend: string | null;
  realIds: Map<string, string>;
}

/** A random v4 uuid in Kafka's display form (URL-safe base64, no padding). */
export function randomTopicId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

/** True for an id Kafka would never generate: the zero or one uuid, or one printed with a leading '-'. */
export function isReservedTopicId(id: string): boolean {
  return id === ZERO_UUID || id === ONE_UUID || id.startsWith('-');
}

const MAX_ID_ATTEMPTS = 1000;

export class TopicIdMap {
  private readonly byName = new Map<string, TopicEntry>();
  private readonly byVirtualId = new Map<string, TopicEntry>();
  /** Backend → real id → entry. */
  private readonly byRealId = new Map<string, Map<string, TopicEntry>>();
  /** Every virtual id ever handed out, live or retired: never reused. */
  private readonly issued = new Set<string>();
  private readonly generateId: () => string;

  constructor(opts: TopicIdMapOptions = {}) {
    this.generateId = opts.generateId ?? randomTopicId;
  }

  /** Number of topics with a live virtual id. */
  get size(): number {
    return this.byName.size;
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
      const created = this.create(name, backend);
      this.bind(created, backend, realId);
      return { virtualId: created.virtualId, change: 'assigned' };
    }
    const bound = entry.realIds.get(backend);
    if (entry.servingBackend === backend && bound !== undefined && bound !== realId) {
      this.retire(entry);
      const created = this.create(name, backend);
      this.bind(created, backend, realId);
      return { virtualId: created.virtualId, change: 'recreated' };
    }
    const wasServing = entry.servingBackend === backend;
    entry.servingBackend = backend;
    if (bound === realId) return { virtualId: entry.virtualId, change: wasServing ? 'unchanged' : 'bound' };
    this.bind(entry, backend, realId);
    return { virtualId: entry.virtualId, change: 'bound' };
  }

  /**
   * Records the real id of topic `name` on a backend that does not serve it (a migration
   * target). Binds it to the topic's virtual id, assigning one on first sight; never changes
   * an existing virtual id.
   */
  observeOther(backend: string, name: string, realId: string): TopicIdObservation {
    checkRealId(realId);
    let entry = this.byName.get(name);
    let change: TopicIdChange = 'bound';
    if (entry === undefined) {
      entry = this.create(name, null);
      change = 'assigned';
    } else if (entry.realIds.get(backend) === realId) {
      return { virtualId: entry.virtualId, change: 'unchanged' };
    }
    this.bind(entry, backend, realId);
    return { virtualId: entry.virtualId, change };
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
    const entry = this.byName.get(name);
    if (entry !== undefined) this.retire(entry);
  }

  /** Every live topic, for the policy store to share with other instances. */
  entries(): TopicIdEntry[] {
    return [...this.byName.values()].map((e) => ({
      name: e.name,
      virtualId: e.virtualId,
      servingBackend: e.servingBackend,
      realIds: Object.fromEntries(e.realIds),
    }));
  }

  /**
   * Takes a topic's ids as another instance assigned them, replacing what this instance had
   * for the name. Throws if the virtual id is reserved or already names another topic here.
   */
  adopt(entry: TopicIdEntry): void {
    if (isReservedTopicId(entry.virtualId)) throw new RangeError(`reserved virtual topic id ${entry.virtualId}`);
    const holder = this.byVirtualId.get(entry.virtualId);
    if (holder !== undefined && holder.name !== entry.name) {
      throw new RangeError(`virtual topic id ${entry.virtualId} already names topic ${holder.name}`);
    }
    const old = this.byName.get(entry.name);
    if (old !== undefined) this.retire(old);
    const adopted: TopicEntry = { name: entry.name, virtualId: entry.virtualId, servingBackend: entry.servingBackend, realIds: new Map() };
    this.issued.add(entry.virtualId);
    this.byName.set(entry.name, adopted);
    this.byVirtualId.set(entry.virtualId, adopted);
    for (const [backend, realId] of Object.entries(entry.realIds)) this.bind(adopted, backend, realId);
  }

  private create(name: string, servingBackend: string | null): TopicEntry {
    const entry: TopicEntry = { name, virtualId: this.newVirtualId(), servingBackend, realIds: new Map() };
    this.byName.set(name, entry);
    this.byVirtualId.set(entry.virtualId, entry);
    return entry;
  }

  private newVirtualId(): string {
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const id = this.generateId();
      if (id.length !== 22 || isReservedTopicId(id) || this.issued.has(id)) continue;
      this.issued.add(id);
      return id;
    }
    throw new Error(`no fresh virtual topic id after ${MAX_ID_ATTEMPTS} attempts`);
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
}

function checkRealId(realId: string): void {
  if (realId === ZERO_UUID) throw new RangeError('the zero uuid is not a topic id');
}
