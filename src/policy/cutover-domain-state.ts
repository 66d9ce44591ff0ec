// What a domain's cutovers have left behind: the backend it lives on now, the segment chain of
// every partition of its topics, where its consumer groups are coordinated, and how many
// cutovers it has completed (its era). A switch makes the next state from the previous one
// and the switch points; retiring a segment drops it from every chain that has it (the first
// one too: the partitions then start where the next one begins).
import {
  PartitionChain,
  SegmentChainError,
  type DomainSegments,
  type OffsetSegment,
  type SerializedSegment,
} from '../routing/offset-segments.js';
import { CutoverStateError, type SwitchPoint } from './cutover-record.js';

export interface DomainCutoverState {
  /** The backend the domain's traffic goes to: the last segment's. */
  readonly backend: string;
  /** Topic → partition index → chain (a gap: the partition has none). */
  readonly chains: ReadonlyMap<string, readonly (PartitionChain | undefined)[]>;
  /** Where the domain's groups are coordinated (they stay behind a cutover); null: the domain's backend. */
  readonly groupsBackend: string | null;
  /**
   * Groups that moved with the domain's transactional ids (their exactly-once applications
   * commit offsets inside transactions): coordinated on `backend`, wherever `groupsBackend`
   * keeps the others. Sorted.
   */
  readonly transactionalGroups: readonly string[];
  /** Cutovers completed. */
  readonly era: number;
  /** The move of the domain's groups to its backend in progress (`turnout cutover groups`), or null. */
  readonly groupsMove: GroupsMove | null;
  /** The members the domain's groups had on their old coordinator when they last moved, or null. */
  readonly formerMembers: FormerMembers | null;
}

/**
 * The members of moved groups, by group, until `untilMs`: their offset commits are taken on
 * the new coordinator as commits of no member until their group rejoins there.
 */
export interface FormerMembers {
  readonly untilMs: number;
  readonly groups: Readonly<Record<string, readonly string[]>>;
}

/**
 * The phases of a groups move: `counting` every instance counts the domain's group requests in
 * flight; `holding` every instance holds them, while the committed offsets are copied.
 */
export type GroupsMovePhase = 'counting' | 'holding';

export interface GroupsMove {
  readonly id: string;
  readonly phase: GroupsMovePhase;
  /** The instance running it (a move whose instance is gone is given up). */
  readonly coordinator: string;
  /** Where the groups are coordinated during the move, and where they go. */
  readonly from: string;
  readonly to: string;
  readonly startedAtMs: number;
}

/** The JSON form, as the state file and Redis hold it. */
export interface SerializedDomainState {
  backend: string;
  chains: Record<string, Array<SerializedSegment[] | null>>;
  groupsBackend: string | null;
  transactionalGroups?: string[];
  era: number;
  groupsMove?: GroupsMove | null;
  formerMembers?: FormerMembers | null;
}

export function serializeDomainState(s: DomainCutoverState): SerializedDomainState {
  const chains: Record<string, Array<SerializedSegment[] | null>> = {};
  for (const [topic, partitions] of s.chains) chains[topic] = Array.from(partitions, (c) => (c === undefined ? null : c.toJSON()));
  return { backend: s.backend, chains, groupsBackend: s.groupsBackend, transactionalGroups: [...s.transactionalGroups], era: s.era, groupsMove: s.groupsMove, formerMembers: s.formerMembers };
}

function parseFormerMembers(value: unknown, where: string): FormerMembers | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value) || typeof value.untilMs !== 'number' || !isRecord(value.groups)) throw new CutoverStateError(where, 'formerMembers: not {untilMs, groups}');
  const groups: Record<string, string[]> = {};
  for (const [group, members] of Object.entries(value.groups)) {
    // An emptied list may come back from Redis's Lua JSON as {}.
    const list = isRecord(members) && Object.keys(members).length === 0 ? [] : members;
    if (!Array.isArray(list) || !list.every((m) => typeof m === 'string')) throw new CutoverStateError(where, `formerMembers.groups.${group}: not a list of member ids`);
    groups[group] = list as string[];
  }
  return { untilMs: value.untilMs, groups };
}

function parseTransactionalGroups(value: unknown, where: string): string[] {
  // Absent in states written before groups moved with transactions; an emptied list may come back from Redis's Lua JSON as {}.
  if (value === undefined || value === null || (isRecord(value) && Object.keys(value).length === 0)) return [];
  if (!Array.isArray(value) || !value.every((g) => typeof g === 'string')) throw new CutoverStateError(where, 'transactionalGroups: not a list of group ids');
  return [...(value as string[])].sort();
}

function parseGroupsMove(value: unknown, where: string): GroupsMove | null {
  // Absent in states written before groups could move; Redis's Lua JSON may drop a null.
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new CutoverStateError(where, 'groupsMove: not an object');
  const { id, phase, coordinator, from, to, startedAtMs } = value;
  if (typeof id !== 'string' || typeof coordinator !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
    throw new CutoverStateError(where, 'groupsMove: id, coordinator, from and to must be strings');
  }
  if (phase !== 'counting' && phase !== 'holding') throw new CutoverStateError(where, `groupsMove.phase: unknown phase ${JSON.stringify(phase)}`);
  if (typeof startedAtMs !== 'number') throw new CutoverStateError(where, 'groupsMove.startedAtMs: not a number');
  return { id, phase, coordinator, from, to, startedAtMs };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSegment(v: unknown): v is SerializedSegment {
  return (
    isRecord(v) &&
    typeof v.backend === 'string' &&
    typeof v.firstOffset === 'string' &&
    /^-?\d+$/.test(v.firstOffset) &&
    typeof v.shift === 'string' &&
    /^-?\d+$/.test(v.shift) &&
    Number.isInteger(v.generation)
  );
}

/** A domain state read back from a store; throws CutoverStateError naming what is wrong. */
export function parseDomainState(value: unknown, where: string): DomainCutoverState {
  if (!isRecord(value)) throw new CutoverStateError(where, 'not an object');
  const { backend, chains, groupsBackend, era } = value;
  const groupsMove = parseGroupsMove(value.groupsMove, where);
  const formerMembers = parseFormerMembers(value.formerMembers, where);
  const transactionalGroups = parseTransactionalGroups(value.transactionalGroups, where);
  if (typeof backend !== 'string' || backend === '') throw new CutoverStateError(where, 'backend: not a backend name');
  if (groupsBackend !== null && typeof groupsBackend !== 'string') throw new CutoverStateError(where, 'groupsBackend: neither a backend name nor null');
  if (!Number.isInteger(era) || (era as number) < 0) throw new CutoverStateError(where, 'era: not a count');
  // An emptied table may come back from Redis's Lua JSON as [].
  const chainsIn = Array.isArray(chains) && chains.length === 0 ? {} : chains;
  if (!isRecord(chainsIn)) throw new CutoverStateError(where, 'chains: not an object');
  const parsed = new Map<string, Array<PartitionChain | undefined>>();
  for (const [topic, partitions] of Object.entries(chainsIn)) {
    if (!Array.isArray(partitions)) throw new CutoverStateError(where, `chains.${topic}: not a list`);
    parsed.set(
      topic,
      partitions.map((segments: unknown, p) => {
        if (segments === null) return undefined;
        if (!Array.isArray(segments) || !segments.every(isSegment)) throw new CutoverStateError(where, `chains.${topic}[${p}]: not a list of segments`);
        try {
          return PartitionChain.fromJSON(segments);
        } catch (err) {
          if (err instanceof SegmentChainError) throw new CutoverStateError(where, `chains.${topic}[${p}]: ${err.message}`);
          throw err;
        }
      }),
    );
  }
  return { backend, chains: parsed, groupsBackend: groupsBackend as string | null, transactionalGroups, era: era as number, groupsMove, formerMembers };
}

/** The state as routing takes it (OffsetSegmentMap.setDomain). */
export function domainSegmentsOf(s: DomainCutoverState): DomainSegments {
  return { chains: s.chains, groupsBackend: s.groupsBackend, transactionalGroups: new Set(s.transactionalGroups), era: s.era };
}

export interface SwitchInput {
  /** The domain's state before this cutover; undefined before its first. */
  previous: DomainCutoverState | undefined;
  from: string;
  to: string;
  /** Per topic: the generation the source's records were read under, for a partition without a chain yet. */
  baseGenerations: Readonly<Record<string, number>>;
  /** Per topic: the generation of its new segment. */
  generations: Readonly<Record<string, number>>;
  points: readonly SwitchPoint[];
  /** The groups that move with the domain's transactional ids (default: those that moved before). */
  transactionalGroups?: readonly string[];
}

/**
 * The domain's state after a switch: every partition with a switch point gets a segment on
 * the target appended (a partition without a chain first gets its one implicit segment, the
 * source from offset 0). Topics without switch points (gone from the source) lose their chains.
 */
export function switchedDomainState(input: SwitchInput): DomainCutoverState {
  const { previous, from, to } = input;
  const chains = new Map<string, Array<PartitionChain | undefined>>();
  for (const point of input.points) {
    const generation = input.generations[point.topic];
    if (generation === undefined) throw new CutoverStateError('switch', `no generation for topic ${point.topic}`);
    let partitions = chains.get(point.topic);
    if (partitions === undefined) chains.set(point.topic, (partitions = []));
    const before = previous?.chains.get(point.topic)?.[point.partition] ?? implicitChain(from, input.baseGenerations[point.topic] ?? 0);
    const segment: OffsetSegment = { backend: to, firstOffset: BigInt(point.firstOffset), shift: BigInt(point.shift), generation };
    partitions[point.partition] = before.append(segment);
  }
  const transactionalGroups = [...new Set(input.transactionalGroups ?? previous?.transactionalGroups ?? [])].sort();
  return { backend: to, chains, groupsBackend: previous?.groupsBackend ?? from, transactionalGroups, era: (previous?.era ?? 0) + 1, groupsMove: null, formerMembers: previous?.formerMembers ?? null };
}

/** The one segment a partition without a chain has: the source's own log, unshifted. */
export function implicitChain(backend: string, generation: number): PartitionChain {
  return new PartitionChain([{ backend, firstOffset: 0n, shift: 0n, generation }]);
}

/**
 * The state without segment `index` in every chain that has it. Retiring segment 0 (its
 * backend decommissioned, or retention emptied it) moves each partition's log start to where
 * segment 1 begins; a later segment's stretch goes to the one before it. Throws
 * CutoverStateError for a segment that is the last of some chain (the one new records go to).
 */
export function retiredSegmentState(s: DomainCutoverState, index: number): DomainCutoverState {
  if (!Number.isInteger(index) || index < 0) throw new CutoverStateError('retire', `segment ${index} cannot be retired: segments are numbered from 0`);
  let found = false;
  const chains = new Map<string, Array<PartitionChain | undefined>>();
  for (const [topic, partitions] of s.chains) {
    chains.set(
      topic,
      partitions.map((chain, p) => {
        if (chain === undefined || index > chain.lastIndex) return chain;
        if (index === chain.lastIndex) throw new CutoverStateError('retire', `segment ${index} of ${topic}-${p} is where its new records go; it cannot be retired`);
        found = true;
        return chain.without(index);
      }),
    );
  }
  if (!found) throw new CutoverStateError('retire', `no chain of the domain has a segment ${index}`);
  return { ...s, chains };
}

/** Every backend a domain's chains read from: the backends a later cutover may return to. */
export function chainBackends(s: DomainCutoverState): Set<string> {
  const out = new Set<string>([s.backend]);
  for (const partitions of s.chains.values()) for (const c of partitions) for (const seg of c?.segments ?? []) out.add(seg.backend);
  return out;
}
