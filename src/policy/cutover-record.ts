// One cutover as the store keeps it: which domain moves from where to where, the phase it is
// in with the time it entered each one, what preflight found, the switch point of every
// partition and the generation of every topic's new segment, and why it was rolled back.
// Records are immutable: every change makes a new one through `movedRecord`, which refuses a
// move the phase rules (cutover-phase.ts) do not allow.
import { z } from 'zod';
import { canMove, CUTOVER_PHASES, CutoverTransitionError, type CutoverPhase } from './cutover-phase.js';

/** Where one partition's new segment begins. Offsets as decimal strings (they are int64). */
export interface SwitchPoint {
  topic: string;
  partition: number;
  /** The first virtual offset of the new segment: the source's log end offset, in virtual terms. */
  firstOffset: string;
  /** The source's own log end offset. */
  sourceEnd: string;
  /** The target's own log end offset. */
  targetEnd: string;
  /** virtual = the target's real offset + shift, in the new segment. */
  shift: string;
}

/** One topic of the domain as preflight saw it on both sides. */
export interface PreflightTopic {
  topic: string;
  sourcePartitions: number;
  /** -1 when the topic is missing on the target. */
  targetPartitions: number;
  /** The compared configs, as each side reports them (null: not reported). */
  configs: Record<string, { source: string | null; target: string | null }>;
}

export interface PreflightReport {
  ok: boolean;
  /** Why the cutover cannot go ahead, one line each; empty when ok. */
  problems: string[];
  topics: PreflightTopic[];
  /** Records a second written to the domain's topics on the source, measured over `rateSampleMs`. */
  produceRecordsPerSecond: number;
  rateSampleMs: number;
  /** The hold this cutover is expected to take, from the round trips measured during preflight. */
  expectedHoldMs: number;
  /** Records expected to be held meanwhile (rate × hold), summed over every instance. */
  expectedHeldRecords: number;
  checkedAtMs: number;
}

export interface CutoverRecord {
  id: string;
  domain: string;
  /** The backend the domain leaves. */
  from: string;
  /** The backend the domain moves to. */
  to: string;
  phase: CutoverPhase;
  /** Time open transactions on the source get to end before they are aborted. */
  drainTimeoutMs: number;
  /** The instance running the cutover. */
  coordinator: string;
  /** When the cutover entered each phase it has been in (ms since the epoch). */
  phaseAtMs: Partial<Record<CutoverPhase, number>>;
  preflight: PreflightReport | null;
  /** Topic → leader epoch generation of its new segment; set at the switch. */
  generations: Record<string, number> | null;
  switchPoints: SwitchPoint[] | null;
  /** Transactional ids whose open transaction on the source was aborted by the cutover. */
  abortedTransactions: string[];
  /**
   * The consumer groups that moved with the transactional ids (their exactly-once applications
   * commit offsets inside transactions): where each was coordinated, and how many committed
   * offsets were copied (0 when it was on the target already). Set at the switch.
   */
  transactionalGroups: TransactionalGroupMove[];
  rollbackReason: string | null;
}

export interface TransactionalGroupMove {
  group: string;
  from: string;
  offsets: number;
}

export class CutoverStateError extends Error {
  readonly where: string;

  constructor(where: string, reason: string) {
    super(`${where}: ${reason}`);
    this.name = 'CutoverStateError';
    this.where = where;
  }
}

export interface NewCutover {
  id: string;
  domain: string;
  from: string;
  to: string;
  drainTimeoutMs: number;
  coordinator: string;
  atMs: number;
}

export function newCutoverRecord(c: NewCutover): CutoverRecord {
  return {
    id: c.id,
    domain: c.domain,
    from: c.from,
    to: c.to,
    phase: 'PLANNED',
    drainTimeoutMs: c.drainTimeoutMs,
    coordinator: c.coordinator,
    phaseAtMs: { PLANNED: c.atMs },
    preflight: null,
    generations: null,
    switchPoints: null,
    abortedTransactions: [],
    transactionalGroups: [],
    rollbackReason: null,
  };
}

export type RecordPatch = Partial<Pick<CutoverRecord, 'preflight' | 'generations' | 'switchPoints' | 'abortedTransactions' | 'transactionalGroups' | 'rollbackReason'>>;

/** The record moved to phase `to` at `atMs`, with `patch` applied. Throws CutoverTransitionError for a move the rules refuse. */
export function movedRecord(record: CutoverRecord, to: CutoverPhase, atMs: number, patch: RecordPatch = {}): CutoverRecord {
  if (!canMove(record.phase, to)) throw new CutoverTransitionError(record.id, record.phase, to);
  return { ...record, ...patch, phase: to, phaseAtMs: { ...record.phaseAtMs, [to]: atMs } };
}

/** The record rolled back at `atMs` for `reason`. Throws CutoverTransitionError once it is finished. */
export function rolledBackRecord(record: CutoverRecord, reason: string, atMs: number): CutoverRecord {
  return movedRecord(record, 'ROLLED_BACK', atMs, { rollbackReason: reason });
}

/** How long the cutover spent in each phase it has left, in ms, and how long its hold lasted. */
export function phaseDurations(record: CutoverRecord): { phases: Partial<Record<CutoverPhase, number>>; holdMs: number | null } {
  const entered = CUTOVER_PHASES.filter((p) => record.phaseAtMs[p] !== undefined).map((p) => [p, record.phaseAtMs[p] as number] as const);
  entered.sort((a, b) => a[1] - b[1]);
  const phases: Partial<Record<CutoverPhase, number>> = {};
  for (let i = 0; i + 1 < entered.length; i++) phases[entered[i][0]] = entered[i + 1][1] - entered[i][1];
  const holdStart = record.phaseAtMs.HOLDING;
  const holdEnd = record.phaseAtMs.SWITCHED ?? record.phaseAtMs.ROLLED_BACK;
  return { phases, holdMs: holdStart !== undefined && holdEnd !== undefined ? Math.max(0, holdEnd - holdStart) : null };
}

const offsetString = z.string().regex(/^-?\d+$/, 'must be an integer as a string');

const switchPointSchema = z.object({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  firstOffset: offsetString,
  sourceEnd: offsetString,
  targetEnd: offsetString,
  shift: offsetString,
});

const preflightSchema = z.object({
  ok: z.boolean(),
  problems: z.array(z.string()),
  topics: z.array(
    z.object({
      topic: z.string(),
      sourcePartitions: z.number().int(),
      targetPartitions: z.number().int(),
      configs: z.record(z.string(), z.object({ source: z.string().nullable(), target: z.string().nullable() })),
    }),
  ),
  produceRecordsPerSecond: z.number(),
  rateSampleMs: z.number(),
  expectedHoldMs: z.number(),
  expectedHeldRecords: z.number(),
  checkedAtMs: z.number(),
});

const recordSchema = z.object({
  id: z.string().min(1),
  domain: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  phase: z.enum(CUTOVER_PHASES),
  drainTimeoutMs: z.number().int().min(0),
  coordinator: z.string(),
  phaseAtMs: z.partialRecord(z.enum(CUTOVER_PHASES), z.number()),
  preflight: preflightSchema.nullable(),
  generations: z.record(z.string(), z.number().int().min(0)).nullable(),
  switchPoints: z.array(switchPointSchema).nullable(),
  abortedTransactions: z.array(z.string()),
  // Absent in records written before groups moved with transactions; Redis's Lua JSON may give an emptied list as {}.
  transactionalGroups: z
    .union([z.array(z.object({ group: z.string(), from: z.string(), offsets: z.number().int().min(0) })), z.object({}).strict().transform(() => [])])
    .optional()
    .transform((v) => v ?? []),
  rollbackReason: z.string().nullable(),
});

/** A record read back from a store; throws CutoverStateError naming what is wrong. */
export function parseCutoverRecord(value: unknown, where: string): CutoverRecord {
  const result = recordSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CutoverStateError(where, `${issue.path.join('.') || '(record)'}: ${issue.message}`);
  }
  return result.data as CutoverRecord;
}
