// The demo's live cutovers: one domain moved to the other cluster and back, again and again,
// through the admin API (POST /v1/cutovers, then GET /v1/cutovers/{id} until it ends), while
// the demo's producers and groups keep running. A build whose admin API has no cutover
// commands (404) is noted once and no further cutover is asked for; a cutover that rolls back
// ends the series.
import {
  cutoverFacts,
  CutoverApiMissingError,
  holdWindow,
  runCutover,
  type CutoverApi,
  type CutoverPhase,
} from '../admin/cutover-client.js';
import { unlessAborted } from './demo-abort.js';

/** One cutover the demo ran. */
export interface DemoCutover {
  /** 1 for the first. */
  number: number;
  id: string;
  from: string;
  to: string;
  /** How it ended: SWITCHED, or ROLLED_BACK. */
  phase: CutoverPhase;
  /** When Turnout entered each phase, in ms after the request was sent. */
  phases: Array<{ phase: CutoverPhase; afterMs: number }>;
  /** HOLDING until SWITCHED or ROLLED_BACK, as Turnout recorded it (null when the answer has no phase times). */
  holdMs: number | null;
  /**
   * The hold as wall-clock times (ms since the epoch): Turnout's own phase times when it
   * gives them, else what polling saw (a little longer than the hold, never shorter).
   */
  holdWindow: { fromMs: number; toMs: number };
  /** From the request until the end was seen. */
  durationMs: number;
  rollbackReason: string | null;
  /** Where each partition's new segment begins (offsets as decimal strings), for the segment view. */
  switchPoints: Array<{ topic: string; partition: number; firstOffset: string; shift: string }>;
  /** Topic → leader epoch generation of the new segment. */
  generations: Record<string, number>;
}

export type CutoverSeriesStatus =
  /** No cutover was asked for. */
  | 'none'
  /** Every cutover asked for switched. */
  | 'switched'
  /** The admin API has no cutover commands: none ran. */
  | 'unavailable'
  /** A cutover rolled back, could not be started, or did not end in time. */
  | 'failed';

export interface CutoverSeriesReport {
  domain: string;
  status: CutoverSeriesStatus;
  /** Why the series is unavailable or failed. */
  reason: string | null;
  cutovers: DemoCutover[];
}

export interface CutoverSeriesOptions {
  domain: string;
  /** The domain's backend before the first cutover, and the one it moves to first. */
  from: string;
  to: string;
  /** Open transactions on the source get this long to end; default 2 s. */
  drainTimeoutMs?: number;
  /** A cutover not ended within this fails the series; default 60 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export class DemoCutoverSeries {
  private readonly cutovers: DemoCutover[] = [];
  private status: CutoverSeriesStatus = 'none';
  private reason: string | null = null;
  private at: string;
  private other: string;

  constructor(
    private readonly api: CutoverApi,
    private readonly opts: CutoverSeriesOptions,
  ) {
    this.at = opts.from;
    this.other = opts.to;
  }

  /** False once the API turned out to have no cutover or a cutover failed: asking again is pointless. */
  get canContinue(): boolean {
    return this.status === 'none' || this.status === 'switched';
  }

  /** Moves the domain to the other backend and waits for the end; false when it did not switch. */
  async next(): Promise<boolean> {
    if (!this.canContinue) return false;
    const number = this.cutovers.length + 1;
    const log = this.opts.log ?? (() => undefined);
    const request = { domain: this.opts.domain, to: this.other, drainTimeoutMs: this.opts.drainTimeoutMs ?? 2_000 };
    log(`cutover ${number}: POST /v1/cutovers ${JSON.stringify(request)} (${this.at} -> ${this.other}) while the clients run`);
    let timeline;
    try {
      timeline = await unlessAborted(runCutover(this.api, request, { timeoutMs: this.opts.timeoutMs ?? 60_000 }), this.opts.signal);
    } catch (err) {
      if (err instanceof CutoverApiMissingError) {
        this.status = 'unavailable';
        this.reason = `this build of Turnout has no cutover: POST /v1/cutovers answered ${err.status}`;
        log(`cutover not shown: ${this.reason}`);
        return false;
      }
      if (this.opts.signal?.aborted === true) throw err;
      this.status = 'failed';
      this.reason = `cutover ${number} (${this.at} -> ${this.other}): ${err instanceof Error ? err.message : String(err)}`;
      log(this.reason);
      return false;
    }
    const facts = cutoverFacts(timeline.final);
    const held = facts.phaseAtMs.HOLDING;
    const ended = facts.phaseAtMs.SWITCHED ?? facts.phaseAtMs.ROLLED_BACK;
    const cutover: DemoCutover = {
      number,
      id: timeline.id,
      from: facts.from ?? this.at,
      to: facts.to ?? this.other,
      phase: timeline.final.phase,
      phases: Object.entries(facts.phaseAtMs)
        .map(([phase, atMs]) => ({ phase: phase as CutoverPhase, afterMs: Math.max(0, atMs - timeline.requestedAtMs) }))
        .sort((a, b) => a.afterMs - b.afterMs),
      holdMs: facts.holdMs,
      holdWindow: held !== undefined && ended !== undefined ? { fromMs: held, toMs: ended } : holdWindow(timeline),
      durationMs: (timeline.seen.at(-1)?.atMs ?? Date.now()) - timeline.requestedAtMs,
      rollbackReason: facts.rollbackReason,
      switchPoints: facts.switchPoints.map((p) => ({ topic: p.topic, partition: p.partition, firstOffset: p.firstOffset.toString(), shift: p.shift.toString() })),
      generations: facts.generations,
    };
    this.cutovers.push(cutover);
    if (cutover.phase !== 'SWITCHED') {
      this.status = 'failed';
      this.reason = `cutover ${number} (${cutover.from} -> ${cutover.to}) rolled back: ${cutover.rollbackReason ?? 'no reason given'}`;
      log(this.reason);
      return false;
    }
    log(`cutover ${number}: ${cutover.from} -> ${cutover.to} switched, hold ${cutover.holdMs === null ? '?' : `${cutover.holdMs} ms`}`);
    this.status = 'switched';
    [this.at, this.other] = [this.other, this.at];
    return true;
  }

  report(): CutoverSeriesReport {
    return { domain: this.opts.domain, status: this.status, reason: this.reason, cutovers: [...this.cutovers] };
  }
}
