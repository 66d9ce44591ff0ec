// Virtual leader epochs: the partition leader epochs clients see, which never go backwards
// when the backend serving a topic changes, and which every Turnout instance computes alike.
//
// Each topic's history is a list of numbered generations, one per period in which one backend
// served it (a domain moved, or the topic recreated on its backend). Generation g owns a fixed
// slice of the epoch space:
//
//   virtual = g * GENERATION_STRIDE + real        (0 <= real < GENERATION_STRIDE)
//
// Generation 0 has offset 0, so with one backend clients see the backend's own epochs. A later
// generation lies wholly above every earlier one whatever epochs either backend reached, and
// a virtual epoch names exactly one (generation, real epoch). A fixed stride, rather than
// "the next generation starts above the highest epoch handed out", is what lets several
// instances agree: the offset depends only on the generation number, never on which real
// epochs an instance happened to see. The price: 2^20 real epochs per generation (more leader
// changes than a partition sees in decades; a larger one is clamped to the top of its slice)
// and 2048 generations per topic.
//
// What instances must agree on is then only which backend each generation number belongs to.
// An instance serving a topic from backend b keeps its current generation while that names
// b; routing it elsewhere takes the highest known generation when that already names the new
// backend (another instance moved first), else begins the next one (highest + 1). Instances
// that see the same move derive the same number. A shared store (src/policy/identity-sync.ts)
// records each generation first-writer-wins and tells everyone (`onGeneration` out,
// `adoptGeneration` in). A generation this instance began but the store gave to another
// backend is replaced at once by a higher one, so its clients' epochs still only rise. A
// generation only begins on a routing change or a recreation, never on hearing of one, so
// instances whose policies briefly disagree cannot push the number up in turns.
//
// A client's current leader epoch is checked as a broker checks it: -1 skips the check; an
// epoch of an older generation than this instance's is FENCED_LEADER_EPOCH (the client
// refreshes metadata and sees the current generation); one of the current generation is
// translated and the backend checks it. One of a newer generation (the client came from an
// instance that already moved; this one has not yet heard of it) is passed on at least
// GENERATION_STRIDE above anything real, which the backend answers UNKNOWN_LEADER_EPOCH:
// retriable, and the client tries again, never seeing an epoch lower than it already had
// accepted.
import { FENCED_LEADER_EPOCH } from './error-codes.js';

/** Kafka's "no epoch" (RecordBatch.NO_PARTITION_LEADER_EPOCH, and "skip the check" in requests). */
export const NO_EPOCH = -1;
/** `toReal`: the virtual epoch belongs to a generation of another backend. */
export const EPOCH_OF_OTHER_BACKEND = -2;
/** `currentToReal`: the virtual epoch belongs to an older generation (FENCED_LEADER_EPOCH). */
export const EPOCH_FENCED = -3;

/** The real epochs of one generation: its slice of the virtual epoch space. */
export const GENERATION_STRIDE = 1 << 20;
const INT32_MAX = 2147483647;
/** The highest generation whose slice fits in an int32. */
export const MAX_GENERATION = Math.floor(INT32_MAX / GENERATION_STRIDE);

/** One generation of a topic's history. */
export interface EpochGeneration {
  generation: number;
  backend: string;
}

/** One topic's generations as the store would share them. */
export interface LeaderEpochEntry {
  topic: string;
  generations: EpochGeneration[];
}

/** A generation this instance began, for a store to share. */
export interface GenerationClaim extends EpochGeneration {
  topic: string;
}

export type GenerationListener = (claim: GenerationClaim) => void;

/** The virtual epoch of real epoch 0 in generation `g`. */
export function generationOffset(g: number): number {
  return g * GENERATION_STRIDE;
}

/** The generation a virtual epoch belongs to. */
export function generationOf(virtualEpoch: number): number {
  return Math.floor(virtualEpoch / GENERATION_STRIDE);
}

/** The Kafka error code for a sentinel from `currentToReal`, or 0 when it is an epoch. */
export function epochErrorCode(result: number): number {
  return result === EPOCH_FENCED ? FENCED_LEADER_EPOCH : 0;
}

interface TopicEpochs {
  /** Generation → backend: every generation known here, begun here or adopted. */
  known: Map<number, string>;
  highest: number;
  /** The generation this instance serves the topic from; -1 before it first routes the topic. */
  current: number;
}

export class LeaderEpochMap {
  private readonly topics = new Map<string, TopicEpochs>();
  private readonly listeners = new Set<GenerationListener>();

  /** Calls `listener` for every generation this instance begins (never for adopted ones). Returns an unsubscribe. */
  onGeneration(listener: GenerationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * The serving backend's leader epoch of a partition, as its Metadata says: moves the topic
   * to a generation of that backend when the current one is another's. Returns the virtual epoch.
   */
  observeServing(topic: string, partition: number, backend: string, realEpoch: number): number {
    this.route(topic, backend);
    return this.toVirtual(topic, partition, backend, realEpoch);
  }

  /**
   * Begins a new generation for `backend` even when it is the current one's: the topic was
   * recreated there (its epochs restart). When another instance already began a newer
   * generation on that backend, that one is taken instead: it is the same recreation.
   * A topic not seen yet has nothing to renew.
   */
  beginTopicGeneration(topic: string, backend: string): void {
    const t = this.topics.get(topic);
    if (t === undefined) return;
    if (t.highest > t.current && t.known.get(t.highest) === backend) t.current = t.highest;
    else this.begin(topic, t, backend);
  }

  /**
   * A real epoch from `backend` (a response field or a fetched batch) in virtual terms, by the
   * latest generation of that backend up to the current one. The first sight of a topic routes
   * it to `backend`. A backend that never served the topic gives NO_EPOCH: the client then
   * simply does not learn an epoch.
   */
  toVirtual(topic: string, _partition: number, backend: string, realEpoch: number): number {
    if (realEpoch < 0) return realEpoch;
    let t = this.topics.get(topic);
    if (t === undefined || t.current < 0) t = this.route(topic, backend);
    for (let g = t.current; g >= 0; g--) {
      if (t.known.get(g) === backend) return generationOffset(g) + Math.min(realEpoch, GENERATION_STRIDE - 1);
    }
    return NO_EPOCH;
  }

  /**
   * A client's current leader epoch (Fetch, ListOffsets, OffsetForLeaderEpoch
   * `currentLeaderEpoch`) for a request routed to `backend`: the real epoch to send, NO_EPOCH
   * when the client sent none, or EPOCH_FENCED when it is from an older generation. Routing a
   * topic to a backend other than the current generation's moves it to a generation of that
   * backend, so the client's old epoch is fenced and its metadata refresh shows the new one.
   */
  currentToReal(topic: string, _partition: number, backend: string, virtualEpoch: number): number {
    const t = this.route(topic, backend);
    if (virtualEpoch < 0) return NO_EPOCH;
    if (generationOf(virtualEpoch) < t.current) return EPOCH_FENCED;
    // A newer generation than this instance's comes out >= GENERATION_STRIDE: UNKNOWN_LEADER_EPOCH.
    return virtualEpoch - generationOffset(t.current);
  }

  /**
   * A historical virtual epoch (Fetch `lastFetchedEpoch`, OffsetForLeaderEpoch `leaderEpoch`,
   * a produced batch's `partitionLeaderEpoch`) in `backend`'s terms: its real epoch when it
   * lies in a generation of that backend, NO_EPOCH for none, EPOCH_OF_OTHER_BACKEND when it
   * lies in another backend's generation or one not known here. An unknown topic translates
   * generation 0 as identity.
   */
  toReal(topic: string, _partition: number, backend: string, virtualEpoch: number): number {
    if (virtualEpoch < 0) return NO_EPOCH;
    const g = generationOf(virtualEpoch);
    const t = this.topics.get(topic);
    if (t === undefined) return g === 0 ? virtualEpoch : EPOCH_OF_OTHER_BACKEND;
    return t.known.get(g) === backend ? virtualEpoch - generationOffset(g) : EPOCH_OF_OTHER_BACKEND;
  }

  /** The backend of a topic's current generation. */
  currentBackend(topic: string, _partition?: number): string | undefined {
    const t = this.topics.get(topic);
    return t === undefined ? undefined : t.known.get(t.current);
  }

  /** The generation this instance serves a topic from, or undefined before it routes the topic. */
  currentGeneration(topic: string): number | undefined {
    const t = this.topics.get(topic);
    return t === undefined || t.current < 0 ? undefined : t.current;
  }

  /** A topic's known generations, oldest first. */
  generations(topic: string): EpochGeneration[] {
    const t = this.topics.get(topic);
    if (t === undefined) return [];
    return [...t.known].sort((x, y) => x[0] - y[0]).map(([generation, backend]) => ({ generation, backend }));
  }

  /** Every topic's generations, for a store to share with other instances. */
  entries(): LeaderEpochEntry[] {
    return [...this.topics.keys()].map((topic) => ({ topic, generations: this.generations(topic) }));
  }

  /** Takes every generation of a topic as the store holds them. Returns whether anything changed. */
  adopt(entry: LeaderEpochEntry): boolean {
    let changed = false;
    for (const g of entry.generations) changed = this.adoptGeneration(entry.topic, g.generation, g.backend) || changed;
    return changed;
  }

  /**
   * Takes one generation as the store holds it (the store's word is final). A newer generation
   * of the backend this instance serves from becomes its current one; one that takes this
   * instance's current generation number for another backend makes it begin a higher one.
   * Returns whether anything changed.
   */
  adoptGeneration(topic: string, generation: number, backend: string): boolean {
    checkGeneration(topic, generation);
    const t = this.entryFor(topic);
    const before = t.known.get(generation);
    if (before === backend) return false;
    const servingBackend = t.current >= 0 ? t.known.get(t.current) : undefined;
    t.known.set(generation, backend);
    if (generation > t.highest) t.highest = generation;
    if (servingBackend === undefined) return true;
    if (generation === t.current) this.begin(topic, t, servingBackend);
    else if (generation > t.current && backend === servingBackend) t.current = generation;
    return true;
  }

  /** Makes `backend` the topic's current generation's backend, taking or beginning one as the header says. */
  private route(topic: string, backend: string): TopicEpochs {
    const t = this.entryFor(topic);
    if (t.current >= 0 && t.known.get(t.current) === backend) return t;
    if (t.highest > t.current && t.known.get(t.highest) === backend) t.current = t.highest;
    else this.begin(topic, t, backend);
    return t;
  }

  private begin(topic: string, t: TopicEpochs, backend: string): void {
    const generation = t.highest + 1;
    checkGeneration(topic, generation);
    t.known.set(generation, backend);
    t.highest = generation;
    t.current = generation;
    for (const listener of this.listeners) listener({ topic, generation, backend });
  }

  private entryFor(topic: string): TopicEpochs {
    let t = this.topics.get(topic);
    if (t === undefined) {
      t = { known: new Map(), highest: -1, current: -1 };
      this.topics.set(topic, t);
    }
    return t;
  }
}

function checkGeneration(topic: string, generation: number): void {
  if (!Number.isInteger(generation) || generation < 0 || generation > MAX_GENERATION) {
    throw new RangeError(`leader epoch generation ${generation} of ${topic} is outside 0..${MAX_GENERATION}`);
  }
}
