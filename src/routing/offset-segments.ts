// Virtual offsets: a partition of a domain's topic is, to clients, one log. Internally it is a
// chain of segments, each a stretch of the virtual log held by one backend:
//
//   segment k = (backend, firstOffset, shift, generation)
//   virtual offset = real offset on `backend` + shift,  for firstOffset <= virtual < next firstOffset
//
// Before any cutover there is no chain: the partition is its domain backend's log with shift
// 0 and nothing is translated (`OffsetSegmentMap.chainOf` answers undefined, the fast path).
// A cutover appends a segment on the target starting at the source's log end offset E, with
// shift E − the target's log end offset, so the virtual log continues where the source stopped.
// `generation` is the leader epoch generation (leader-epoch-map.ts) of records read from the
// segment: each segment has its own, so a virtual epoch names one segment and epochs only rise
// along the log, which keeps a consumer's truncation detection working across a switch point.
//
// Records at or above a segment's end that its backend holds anyway (written there directly,
// bypassing Turnout) are not part of the virtual log and are never served.
//
// Retiring a segment drops it from the chain. A middle segment's stretch then belongs to the
// segment before it; retiring the first one (its backend decommissioned, or retention emptied
// it) moves the partition's log start: the chain then begins at the next segment's first
// offset, and offsets below it are below the log start, as on a broker after DeleteRecords.

import { GENERATION_STRIDE, NO_EPOCH, generationOf, generationOffset } from './leader-epoch-map.js';

/** One stretch of a virtual partition, held by one backend. */
export interface OffsetSegment {
  readonly backend: string;
  /** The first virtual offset the segment holds. */
  readonly firstOffset: bigint;
  /** virtual = real + shift. */
  readonly shift: bigint;
  /** The leader epoch generation of records read from this segment. */
  readonly generation: number;
}

/** A segment as JSON holds it (offsets as decimal strings: they exceed 2^53 in principle). */
export interface SerializedSegment {
  backend: string;
  firstOffset: string;
  shift: string;
  generation: number;
}

export class SegmentChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentChainError';
  }
}

/**
 * The segments of one partition, oldest first. The first begins at virtual offset 0 until it is
 * retired; after that at the log start the retirement left (`start`).
 */
export class PartitionChain {
  readonly segments: readonly OffsetSegment[];

  constructor(segments: readonly OffsetSegment[]) {
    if (segments.length === 0) throw new SegmentChainError('a partition chain needs at least one segment');
    if (segments[0].firstOffset < 0n) throw new SegmentChainError(`the first segment begins at ${segments[0].firstOffset}, below 0`);
    for (let i = 1; i < segments.length; i++) {
      if (segments[i].firstOffset < segments[i - 1].firstOffset) {
        throw new SegmentChainError(`segment ${i} begins at ${segments[i].firstOffset}, before segment ${i - 1} (${segments[i - 1].firstOffset})`);
      }
      if (segments[i].generation <= segments[i - 1].generation) {
        throw new SegmentChainError(`segment ${i} has generation ${segments[i].generation}, not above segment ${i - 1}'s (${segments[i - 1].generation})`);
      }
    }
    this.segments = segments;
  }

  /** The first virtual offset of the partition: 0 until its first segment is retired. Below it lies nothing. */
  get start(): bigint {
    return this.segments[0].firstOffset;
  }

  /** True for a virtual offset (not a sentinel) below the partition's start: retired, out of range. */
  isBelowStart(offset: bigint): boolean {
    return offset >= 0n && offset < this.segments[0].firstOffset;
  }

  get lastIndex(): number {
    return this.segments.length - 1;
  }

  /** The segment new records go to. */
  get last(): OffsetSegment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * The index of the segment holding virtual offset `offset`. An empty segment (a cutover
   * with nothing written between two switches) holds nothing: an offset at its start belongs
   * to the next one. Offsets below 0 (sentinels) belong to the last segment; offsets below
   * the start (isBelowStart) to the first, which does not hold them: callers check first.
   */
  indexAt(offset: bigint): number {
    if (offset < 0n) return this.lastIndex;
    let lo = 0;
    let hi = this.lastIndex;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid].firstOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  segmentAt(offset: bigint): OffsetSegment {
    return this.segments[this.indexAt(offset)];
  }

  /** The virtual offset just past segment `index` (the next one's first), or null for the last. */
  endOf(index: number): bigint | null {
    return index < this.lastIndex ? this.segments[index + 1].firstOffset : null;
  }

  /** The index of the segment whose generation is `generation`, or -1. */
  indexOfGeneration(generation: number): number {
    for (let i = 0; i < this.segments.length; i++) if (this.segments[i].generation === generation) return i;
    return -1;
  }

  /** A chain with `segment` appended (a cutover's switch). */
  append(segment: OffsetSegment): PartitionChain {
    return new PartitionChain([...this.segments, segment]);
  }

  /**
   * A chain without segment `index` (retired). A later segment's stretch then belongs to the
   * segment before it; without the first, the chain starts where the next one begins. The
   * last segment (where new records go) is never retired.
   */
  without(index: number): PartitionChain {
    if (!Number.isInteger(index) || index < 0 || index >= this.lastIndex) {
      throw new SegmentChainError(`segment ${index} cannot be retired (only 0..${this.lastIndex - 1}: segment ${this.lastIndex} is where new records go)`);
    }
    return new PartitionChain(this.segments.filter((_, i) => i !== index));
  }

  toJSON(): SerializedSegment[] {
    return this.segments.map(serializeSegment);
  }

  static fromJSON(segments: readonly SerializedSegment[]): PartitionChain {
    return new PartitionChain(segments.map(parseSegment));
  }
}

export function serializeSegment(s: OffsetSegment): SerializedSegment {
  return { backend: s.backend, firstOffset: s.firstOffset.toString(), shift: s.shift.toString(), generation: s.generation };
}

export function parseSegment(s: SerializedSegment): OffsetSegment {
  return { backend: s.backend, firstOffset: BigInt(s.firstOffset), shift: BigInt(s.shift), generation: s.generation };
}

/** What a topic's chains are read from: topic → partition index → chain (a gap: no chain). */
export type TopicChains = ReadonlyMap<string, readonly (PartitionChain | undefined)[]>;

/** What routing knows of one domain's cutovers. */
export interface DomainSegments {
  readonly chains: TopicChains;
  /**
   * Where the domain's consumer groups are coordinated while they stay behind after a cutover
   * (their committed offsets are virtual, so they need not move); null: the domain's backend.
   */
  readonly groupsBackend: string | null;
  /**
   * Groups that moved with the domain's transactional ids (exactly-once applications commit
   * their offsets inside their transactions): coordinated on the domain's backend, wherever
   * `groupsBackend` keeps the others.
   */
  readonly transactionalGroups?: ReadonlySet<string>;
  /**
   * Cutovers the domain has completed. Idempotent producers get a fresh real producer id on a
   * backend in every era (producerBindingKey), so a return to a backend never continues an old
   * real id whose sequences the broker still holds.
   */
  readonly era: number;
}

/** The key a virtual producer's real id on `backend` is bound under in a domain's era. */
export function producerBindingKey(backend: string, era: number): string {
  return era === 0 ? backend : `${backend}#${era}`;
}

/** The backend of a producer binding key. */
export function backendOfBindingKey(key: string): string {
  const i = key.lastIndexOf('#');
  return i < 0 ? key : key.slice(0, i);
}

/**
 * Every chained partition this instance knows, looked up per partition on the data path. The
 * cutover state (policy side) replaces a domain's entry whole on every change.
 */
export class OffsetSegmentMap {
  private readonly topics = new Map<string, readonly (PartitionChain | undefined)[]>();
  /** Chained topic → its domain. */
  private readonly topicDomains = new Map<string, string>();
  private readonly domains = new Map<string, DomainSegments>();

  /** The chain of a partition, or undefined when it has none (untranslated). */
  chainOf(topic: string, partition: number): PartitionChain | undefined {
    const chains = this.topics.get(topic);
    return chains === undefined ? undefined : chains[partition];
  }

  /** True when any partition of the topic is chained. */
  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** True when a segment of some partition of the topic lives on `backend`. */
  topicHasBackend(topic: string, backend: string): boolean {
    for (const chain of this.topics.get(topic) ?? []) {
      if (chain?.segments.some((s) => s.backend === backend) === true) return true;
    }
    return false;
  }

  /**
   * True when the topic's domain left its consumer groups on `backend` at a cutover: their
   * committed offsets there are virtual, so they stay right for the topic even once no
   * segment reads from `backend` any more (its first segment retired).
   */
  topicGroupsStayOn(topic: string, backend: string): boolean {
    const domain = this.topicDomains.get(topic);
    return domain !== undefined && this.domains.get(domain)?.groupsBackend === backend;
  }

  /** Replaces a domain's entry whole (its topics not in `state.chains` lose their chains). */
  setDomain(domain: string, state: DomainSegments): void {
    for (const topic of this.domains.get(domain)?.chains.keys() ?? []) {
      this.topics.delete(topic);
      this.topicDomains.delete(topic);
    }
    for (const [topic, partitions] of state.chains) {
      this.topics.set(topic, partitions);
      this.topicDomains.set(topic, domain);
    }
    this.domains.set(domain, state);
  }

  /** A domain's entry, or undefined before its first cutover. */
  domain(domain: string): DomainSegments | undefined {
    return this.domains.get(domain);
  }

  /**
   * Where a group of a domain is coordinated when it stayed behind a cutover, or null (on the
   * domain's backend: no cutover, groups moved, or a group that moved with the transactions).
   */
  groupsBackendOf(domain: string, group?: string): string | null {
    const d = this.domains.get(domain);
    if (d === undefined) return null;
    if (group !== undefined && d.transactionalGroups?.has(group) === true) return null;
    return d.groupsBackend;
  }

  eraOf(domain: string): number {
    return this.domains.get(domain)?.era ?? 0;
  }
}

/** A real leader epoch read from a segment's backend, as the virtual epoch of that segment's generation. */
export function segmentEpochToVirtual(segment: OffsetSegment, realEpoch: number): number {
  if (realEpoch < 0) return realEpoch;
  return generationOffset(segment.generation) + Math.min(realEpoch, GENERATION_STRIDE - 1);
}

/** A client's virtual epoch in a segment's backend's terms: its real epoch when it lies in the segment's generation, else NO_EPOCH. */
export function segmentEpochToReal(segment: OffsetSegment, virtualEpoch: number): number {
  if (virtualEpoch < 0 || generationOf(virtualEpoch) !== segment.generation) return NO_EPOCH;
  return virtualEpoch - generationOffset(segment.generation);
}
