// Virtual leader epochs: the partition leader epochs clients see, which never go backwards
// when the backend serving a partition changes.
//
// Each partition's history is a list of generations, one per period in which one backend
// served it. In generation g, virtual = real + offset(g). The first generation has offset 0
// (with one backend, clients see the backend's own epochs). A new generation starts above
// every virtual epoch the previous one handed out:
//
//   offset(g+1) = offset(g) + maxReal(g) + 1
//
// so the whole real epoch space [0, ∞) of the new backend lies above the old one, the
// generations tile the virtual epoch space, and a virtual epoch names exactly one
// (backend, real epoch). maxReal(g) is the highest real epoch translated while g was current;
// once g is superseded its range is frozen, and a late real epoch above it (an in-flight
// response from the old backend) is clamped to the top of the range rather than reach into
// the next generation's.
//
// A client's current leader epoch is checked as a broker checks it: -1 skips the check; an
// epoch from an older generation is FENCED_LEADER_EPOCH (the client refreshes metadata and
// sees the new generation's epoch); an epoch of the current generation is translated and the
// backend checks it (a newer one than the backend knows is its UNKNOWN_LEADER_EPOCH).
//
// The map is per process. Several Turnout instances (and a restarted one) must agree on the
// offsets, or a client moving between them would see epochs go backwards and Java clients
// would ignore the lower epochs; `entries()` / `adopt()` let the policy store share them.
import { FENCED_LEADER_EPOCH } from './error-codes.js';

/** Kafka's "no epoch" (RecordBatch.NO_PARTITION_LEADER_EPOCH, and "skip the check" in requests). */
export const NO_EPOCH = -1;
/** `toReal`: the virtual epoch belongs to a generation of another backend. */
export const EPOCH_OF_OTHER_BACKEND = -2;
/** `currentToReal`: the virtual epoch belongs to an older generation (FENCED_LEADER_EPOCH). */
export const EPOCH_FENCED = -3;

const INT32_MAX = 2147483647;

/** One generation of a partition's history. */
export interface EpochGeneration {
  backend: string;
  /** virtual = real + offset within this generation. */
  offset: number;
  /** Highest real epoch handed out in this generation, -1 if none yet. */
  maxReal: number;
}

/** One partition's generations as the store would share them. */
export interface LeaderEpochEntry {
  topic: string;
  partition: number;
  generations: EpochGeneration[];
}

/** The Kafka error code for a sentinel from `currentToReal`, or 0 when it is an epoch. */
export function epochErrorCode(result: number): number {
  return result === EPOCH_FENCED ? FENCED_LEADER_EPOCH : 0;
}

export class LeaderEpochMap {
  /** Topic → partition → generations, oldest first; the last is current. */
  private readonly topics = new Map<string, Map<number, EpochGeneration[]>>();

  /**
   * The serving backend's leader epoch of a partition, as its Metadata says: starts a new
   * generation when the backend differs from the current one. Returns the virtual epoch.
   */
  observeServing(topic: string, partition: number, backend: string, realEpoch: number): number {
    const gens = this.generationsFor(topic, partition, backend);
    if (gens[gens.length - 1].backend !== backend) this.push(gens, backend);
    return this.toVirtual(topic, partition, backend, realEpoch);
  }

  /**
   * Starts a new generation for `backend` even when it is the current one: the topic was
   * recreated there (its epochs restart), or traffic moves back to a backend that served
   * before.
   */
  beginGeneration(topic: string, partition: number, backend: string): void {
    const parts = this.topics.get(topic);
    const gens = parts?.get(partition);
    if (gens === undefined) this.generationsFor(topic, partition, backend);
    else this.push(gens, backend);
  }

  /** `beginGeneration` for every partition of a topic seen so far. */
  beginTopicGeneration(topic: string, backend: string): void {
    const parts = this.topics.get(topic);
    if (parts === undefined) return;
    for (const gens of parts.values()) this.push(gens, backend);
  }

  /**
   * A real epoch from `backend` (a response field or a fetched batch) in virtual terms, by the
   * latest generation of that backend. The first sight of a partition starts its first
   * generation. A backend that never served the partition gives NO_EPOCH: the client then
   * simply does not learn an epoch.
   */
  toVirtual(topic: string, partition: number, backend: string, realEpoch: number): number {
    if (realEpoch < 0) return realEpoch;
    const gens = this.generationsFor(topic, partition, backend);
    for (let i = gens.length - 1; i >= 0; i--) {
      const g = gens[i];
      if (g.backend !== backend) continue;
      if (i === gens.length - 1) {
        if (realEpoch > g.maxReal) {
          if (g.offset + realEpoch > INT32_MAX) throw new RangeError(`virtual leader epoch of ${topic}-${partition} overflows int32`);
          g.maxReal = realEpoch;
        }
        return g.offset + realEpoch;
      }
      if (g.maxReal < 0) return NO_EPOCH;
      return g.offset + Math.min(realEpoch, g.maxReal);
    }
    return NO_EPOCH;
  }

  /**
   * A client's current leader epoch (Fetch, ListOffsets, OffsetForLeaderEpoch
   * `currentLeaderEpoch`) for a request routed to `backend`: the real epoch to send, NO_EPOCH
   * when the client sent none, or EPOCH_FENCED when it is from an older generation. Routing a
   * partition to a backend other than the current generation's starts a new generation, so
   * the client's old epoch is fenced and its metadata refresh shows the new one.
   */
  currentToReal(topic: string, partition: number, backend: string, virtualEpoch: number): number {
    const gens = this.generationsFor(topic, partition, backend);
    if (gens[gens.length - 1].backend !== backend) this.push(gens, backend);
    if (virtualEpoch < 0) return NO_EPOCH;
    const current = gens[gens.length - 1];
    return virtualEpoch < current.offset ? EPOCH_FENCED : virtualEpoch - current.offset;
  }

  /**
   * A historical virtual epoch (Fetch `lastFetchedEpoch`, OffsetForLeaderEpoch `leaderEpoch`,
   * a produced batch's `partitionLeaderEpoch`) in `backend`'s terms: its real epoch when it
   * lies in a generation of that backend, NO_EPOCH for none, EPOCH_OF_OTHER_BACKEND when it
   * lies in another backend's generation. An unknown partition translates as identity (the
   * first generation's offset is 0).
   */
  toReal(topic: string, partition: number, backend: string, virtualEpoch: number): number {
    if (virtualEpoch < 0) return NO_EPOCH;
    const gens = this.topics.get(topic)?.get(partition);
    if (gens === undefined) return virtualEpoch;
    for (let i = gens.length - 1; i >= 0; i--) {
      const g = gens[i];
      if (g.offset > virtualEpoch) continue;
      return g.backend === backend ? virtualEpoch - g.offset : EPOCH_OF_OTHER_BACKEND;
    }
    return EPOCH_OF_OTHER_BACKEND;
  }

  /** The backend of a partition's current generation. */
  currentBackend(topic: string, partition: number): string | undefined {
    const gens = this.topics.get(topic)?.get(partition);
    return gens === undefined ? undefined : gens[gens.length - 1].backend;
  }

  /** A partition's generations, oldest first (copies). */
  generations(topic: string, partition: number): EpochGeneration[] {
    return (this.topics.get(topic)?.get(partition) ?? []).map((g) => ({ ...g }));
  }

  /** Every partition's generations, for the policy store to share with other instances. */
  entries(): LeaderEpochEntry[] {
    const out: LeaderEpochEntry[] = [];
    for (const [topic, parts] of this.topics) {
      for (const [partition, gens] of parts) out.push({ topic, partition, generations: gens.map((g) => ({ ...g })) });
    }
    return out;
  }

  /**
   * Takes a partition's generations as another instance recorded them, when they reach at
   * least as high as this instance's own (so adopting never lowers an epoch already shown).
   * Returns whether they were taken.
   */
  adopt(entry: LeaderEpochEntry): boolean {
    if (entry.generations.length === 0) return false;
    checkTiling(entry);
    let parts = this.topics.get(entry.topic);
    const own = parts?.get(entry.partition);
    if (own !== undefined && topOf(own) > topOf(entry.generations)) return false;
    if (parts === undefined) {
      parts = new Map();
      this.topics.set(entry.topic, parts);
    }
    parts.set(entry.partition, entry.generations.map((g) => ({ ...g })));
    return true;
  }

  private generationsFor(topic: string, partition: number, backend: string): EpochGeneration[] {
    let parts = this.topics.get(topic);
    if (parts === undefined) {
      parts = new Map();
      this.topics.set(topic, parts);
    }
    let gens = parts.get(partition);
    if (gens === undefined) {
      gens = [{ backend, offset: 0, maxReal: -1 }];
      parts.set(partition, gens);
    }
    return gens;
  }

  private push(gens: EpochGeneration[], backend: string): void {
    const current = gens[gens.length - 1];
    const offset = current.offset + current.maxReal + 1;
    if (offset > INT32_MAX) throw new RangeError('virtual leader epoch offset overflows int32');
    gens.push({ backend, offset, maxReal: -1 });
  }
}

/** The highest virtual epoch a generation list has handed out (or would start at). */
function topOf(gens: readonly EpochGeneration[]): number {
  const last = gens[gens.length - 1];
  return last.offset + last.maxReal;
}

function checkTiling(entry: LeaderEpochEntry): void {
  const gens = entry.generations;
  for (let i = 1; i < gens.length; i++) {
    if (gens[i].offset !== gens[i - 1].offset + gens[i - 1].maxReal + 1) {
      throw new RangeError(`generations of ${entry.topic}-${entry.partition} overlap or leave a gap`);
    }
  }
}
