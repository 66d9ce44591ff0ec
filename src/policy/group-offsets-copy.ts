// Copies consumer groups' committed offsets from the coordinator each is on to another
// backend's, as a move of groups needs it: `turnout cutover groups` (groups-move.ts) and a
// cutover that takes the groups of exactly-once applications with its transactional ids
// (cutover-coordinator.ts). Each group must be empty or unknown on the target (an admin's
// commit is taken only then); its offsets are written there as they are (they are virtual) and
// read back and compared. The members each group had where it was are returned: until they
// learn that they must rejoin, their commits are taken as commits of no member.
import type { GroupOffset, GroupOffsetBackends } from './group-offset-backends.js';

/** Group states in which a coordinator takes an admin's commit. */
const COMMITTABLE_STATES = new Set(['Empty', 'Dead']);

/** A copy that cannot go on: the groups stay where they were. */
export class GroupsMoveError extends Error {
  readonly domain: string;

  constructor(domain: string, message: string, options?: { cause?: unknown }) {
    super(`groups of domain ${domain}: ${message}`, options);
    this.name = 'GroupsMoveError';
    this.domain = domain;
  }
}

export interface GroupToCopy {
  group: string;
  /** The backend whose coordinator has the group now. */
  from: string;
}

export interface GroupOffsetsCopyInput {
  backends: GroupOffsetBackends;
  domain: string;
  groups: readonly GroupToCopy[];
  to: string;
  /** Past this time (ms since the epoch) the copy gives up, naming `deadlineWhat`. */
  deadlineMs: number;
  deadlineWhat: string;
  /** Read offsets committed in transactions only once their markers are written. */
  stable?: boolean;
}

export interface GroupOffsetsCopied {
  /** Each group copied, with how many committed offsets. */
  groups: Array<{ group: string; offsets: number }>;
  /** Group → the member ids it had where it was (groups without members left out). */
  members: Record<string, string[]>;
}

export async function copyGroupOffsets(input: GroupOffsetsCopyInput): Promise<GroupOffsetsCopied> {
  const { backends, domain, to } = input;
  const names = new Set(input.groups.map((g) => g.group));
  const onTarget = await backends.listGroups(to, (g) => names.has(g));
  const busy = [...names].filter((g) => onTarget.has(g) && !COMMITTABLE_STATES.has(onTarget.get(g) as string)).sort();
  if (busy.length > 0) throw new GroupsMoveError(domain, `group${busy.length > 1 ? 's' : ''} ${busy.map((g) => `${g} (${onTarget.get(g)})`).join(', ')} already ha${busy.length > 1 ? 've' : 's'} members on ${to}`);
  const out: GroupOffsetsCopied = { groups: [], members: {} };
  for (const { group, from } of [...input.groups].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))) {
    if (Date.now() > input.deadlineMs) throw new GroupsMoveError(domain, `${input.deadlineWhat} passed while copying offsets`);
    const offsets = await backends.groupOffsets(from, group, input.stable);
    await backends.commitGroupOffsets(to, group, offsets);
    const written = await backends.groupOffsets(to, group);
    const differs = firstDifference(offsets, written);
    if (differs !== null) throw new GroupsMoveError(domain, `group ${group}: ${differs} on ${to} after the copy`);
    out.groups.push({ group, offsets: offsets.length });
    const ids = await backends.groupMembers(from, group);
    if (ids.length > 0) out.members[group] = ids;
  }
  return out;
}

/** How two lists of committed offsets differ (the first difference found), or null. */
export function firstDifference(expected: readonly GroupOffset[], actual: readonly GroupOffset[]): string | null {
  const key = (o: GroupOffset): string => `${o.topic}-${o.partition}`;
  const got = new Map(actual.map((o) => [key(o), o]));
  for (const o of expected) {
    const a = got.get(key(o));
    if (a === undefined) return `no committed offset for ${key(o)}`;
    if (a.offset !== o.offset) return `${key(o)} committed at ${a.offset}, not ${o.offset}`;
  }
  return null;
}
