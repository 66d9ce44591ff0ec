// What this instance does with each domain's traffic during a cutover (set by the cutover
// state, src/policy/cutover-apply.ts), and what the hold filter keeps track of for it:
//   - the promise held requests wait on: one per hold, settled when the hold ends, so every
//     request held for a domain resumes in the order it was held;
//   - the requests and bytes held, against a cap: going over it fails the cutover (it is
//     rolled back, and the held requests go on to the source);
//   - the requests forwarded to the source and not answered yet, per cutover, so that the
//     drain knows when they completed, and whether one of them failed.
import type { HoldMode } from '../policy/cutover-phase.js';

/** Where the holds report what they hold (metrics). */
export interface HoldReporter {
  held(domain: string, requests: number, bytes: number): void;
  holdEnded(domain: string, seconds: number): void;
}

/** Hears of a failure that must roll a domain's cutover back. */
export type HoldFailureListener = (domain: string, cutoverId: string, reason: string) => void;

/** The requests one cutover has in flight to the source. */
export class InFlightCount {
  readonly cutoverId: string;
  count = 0;
  /** The first failure among them, or null. */
  failure: string | null = null;
  private waiters: Array<() => void> = [];

  constructor(cutoverId: string) {
    this.cutoverId = cutoverId;
  }

  /** Resolves once nothing is in flight. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  add(): void {
    this.count++;
  }

  done(): void {
    if (this.count > 0) this.count--;
    if (this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

class DomainHold {
  mode: HoldMode = 'none';
  cutoverId: string | null = null;
  release: Promise<void> | null = null;
  private resolveRelease: (() => void) | null = null;
  heldRequests = 0;
  heldBytes = 0;
  /** Which hold requests are counted in (-1: none): one held in an ended hold is not taken off the next. */
  holdNumber = -1;
  holdStartedMs = 0;
  inFlight: InFlightCount | null = null;
  /** A failure reported for the current cutover (reported once). */
  failureReported = false;

  startHold(nowMs: number, holdNumber: number): void {
    this.release = new Promise((resolve) => (this.resolveRelease = resolve));
    this.holdStartedMs = nowMs;
    this.holdNumber = holdNumber;
  }

  endHold(): void {
    const resolve = this.resolveRelease;
    this.release = null;
    this.resolveRelease = null;
    // Every request held is released now; one whose connection closed meanwhile never comes back.
    this.heldRequests = 0;
    this.heldBytes = 0;
    this.holdNumber = -1;
    resolve?.();
  }
}

export interface CutoverHoldsOptions {
  /** Bytes of requests this instance may hold; a cutover that needs more is rolled back. */
  maxHeldBytes: number;
  reporter?: HoldReporter;
  nowMs?: () => number;
}

function holds(mode: HoldMode): boolean {
  return mode === 'drain' || mode === 'hold';
}

export class CutoverHolds {
  private readonly domains = new Map<string, DomainHold>();
  private readonly failureListeners = new Set<HoldFailureListener>();
  private readonly maxHeldBytes: number;
  private readonly reporter: HoldReporter | undefined;
  private readonly nowMs: () => number;
  /** Domains whose mode is not `none`: while 0 the hold filter wants nothing. */
  private engaged = 0;
  private holdsStarted = 0;

  constructor(opts: CutoverHoldsOptions) {
    this.maxHeldBytes = opts.maxHeldBytes;
    this.reporter = opts.reporter;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** True while some domain is in a cutover (or its state is not known): only then is traffic looked at. */
  get active(): boolean {
    return this.engaged > 0;
  }

  onFailure(listener: HoldFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => {
      this.failureListeners.delete(listener);
    };
  }

  modeOf(domain: string): HoldMode {
    return this.domains.get(domain)?.mode ?? 'none';
  }

  /** The cutover a domain's mode belongs to, or null. */
  cutoverOf(domain: string): string | null {
    return this.domains.get(domain)?.cutoverId ?? null;
  }

  setMode(domain: string, cutoverId: string | null, mode: HoldMode): void {
    let d = this.domains.get(domain);
    if (d === undefined) {
      if (mode === 'none') return;
      this.domains.set(domain, (d = new DomainHold()));
    }
    if (d.cutoverId !== cutoverId) {
      d.cutoverId = cutoverId;
      d.inFlight = cutoverId === null ? null : new InFlightCount(cutoverId);
      d.failureReported = false;
    }
    const before = d.mode;
    if (before === mode) return;
    d.mode = mode;
    if (before === 'none') this.engaged++;
    if (mode === 'none') this.engaged--;
    if (!holds(before) && holds(mode)) d.startHold(this.nowMs(), ++this.holdsStarted);
    else if (holds(before) && !holds(mode)) {
      this.reporter?.holdEnded(domain, (this.nowMs() - d.holdStartedMs) / 1000);
      d.endHold();
      this.reporter?.held(domain, 0, 0);
    }
    if (mode === 'none') this.domains.delete(domain);
  }

  /**
   * Holds a request of `bytes` for a domain: returns what it waits on and the hold it is
   * counted in (for `unhold`). Going over the cap fails the domain's cutover (the request is
   * held all the same: the rollback releases it).
   */
  hold(domain: string, bytes: number): { until: Promise<void>; holdNumber: number } {
    const d = this.domains.get(domain);
    if (d === undefined || d.release === null) return { until: Promise.resolve(), holdNumber: -1 };
    d.heldRequests++;
    d.heldBytes += bytes;
    this.reporter?.held(domain, d.heldRequests, d.heldBytes);
    if (d.heldBytes > this.maxHeldBytes) this.fail(domain, `held requests reached ${d.heldBytes} bytes, over cutover.maxHeldBytes (${this.maxHeldBytes})`);
    return { until: d.release, holdNumber: d.holdNumber };
  }

  /** A request held in hold `holdNumber` came back to be decided again (a hold that ended counted its requests off already). */
  unhold(domain: string, bytes: number, holdNumber: number): void {
    const d = this.domains.get(domain);
    if (d === undefined || d.holdNumber !== holdNumber) return;
    d.heldRequests = Math.max(0, d.heldRequests - 1);
    d.heldBytes = Math.max(0, d.heldBytes - bytes);
    this.reporter?.held(domain, d.heldRequests, d.heldBytes);
  }

  /** The number of a domain's hold in effect, or -1 while none is. */
  holdNumberOf(domain: string): number {
    return this.domains.get(domain)?.holdNumber ?? -1;
  }

  heldOf(domain: string): { requests: number; bytes: number } {
    const d = this.domains.get(domain);
    return { requests: d?.heldRequests ?? 0, bytes: d?.heldBytes ?? 0 };
  }

  /** The in-flight count of a domain's current cutover, or null without one. */
  inFlightOf(domain: string): InFlightCount | null {
    return this.domains.get(domain)?.inFlight ?? null;
  }

  /** Reports a failure that must roll the domain's cutover back, once per cutover. */
  fail(domain: string, reason: string): void {
    const d = this.domains.get(domain);
    if (d === undefined || d.cutoverId === null || d.failureReported) return;
    d.failureReported = true;
    for (const l of [...this.failureListeners]) l(domain, d.cutoverId, reason);
  }
}
