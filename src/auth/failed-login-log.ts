// Failed logins, counted per claimed user and source address, and logged at a bounded rate:
// the first failure of a (user, address) pair is logged at once; later ones within the
// interval are counted and reported in one line when the next failure comes after it. The
// pairs tracked are capped (the oldest is forgotten first), and so are the lines per
// interval, so a flood of failed logins from many addresses or with random user names costs
// bounded memory and a bounded number of log lines. The metric counts every failure.
import type { Logger } from '../observability/logger.js';

export interface FailedLogin {
  /** The user the client claimed, if its token got that far. */
  readonly user: string | undefined;
  readonly clientHost: string;
  readonly mechanism: string;
  readonly listener: string;
  readonly reason: string;
}

export interface FailedLoginLogOptions {
  log: Logger;
  /** (default: 60000) */
  intervalMs?: number;
  /** Most (user, address) pairs remembered. (default: 10000) */
  maxTracked?: number;
  /** Most log lines per interval, summaries included. (default: 100) */
  maxLinesPerInterval?: number;
  /** Monotonic clock in ms. (default: performance.now) */
  now?: () => number;
}

interface Tracked {
  windowStart: number;
  /** Failures since the last line about this pair. */
  unlogged: number;
  total: number;
}

/** Client-chosen strings in keys and logs are cut to this length. */
const MAX_NAME_CHARS = 128;

export class FailedLoginLog {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly maxTracked: number;
  private readonly maxLines: number;
  private readonly now: () => number;
  private readonly tracked = new Map<string, Tracked>();
  private linesWindowStart = -Infinity;
  private lines = 0;
  private dropped = 0;

  constructor(opts: FailedLoginLogOptions) {
    this.log = opts.log;
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.maxTracked = opts.maxTracked ?? 10_000;
    this.maxLines = opts.maxLinesPerInterval ?? 100;
    this.now = opts.now ?? (() => performance.now());
  }

  record(f: FailedLogin): void {
    const user = f.user === undefined ? undefined : f.user.slice(0, MAX_NAME_CHARS);
    const key = `${user ?? ''}\u0000${f.clientHost}`;
    const now = this.now();
    let t = this.tracked.get(key);
    if (t === undefined) {
      t = { windowStart: now, unlogged: 1, total: 1 };
      if (this.tracked.size >= this.maxTracked) this.tracked.delete(this.tracked.keys().next().value!);
    } else {
      // Re-inserted so the Map's order is least recently failed first.
      this.tracked.delete(key);
      t.unlogged++;
      t.total++;
    }
    this.tracked.set(key, t);
    if (t.total > 1 && now - t.windowStart < this.intervalMs) return;
    if (!this.takeLine(now)) return;
    this.log.warn(
      { user, clientHost: f.clientHost, mechanism: f.mechanism, listener: f.listener, reason: f.reason, failures: t.unlogged, sinceMs: Math.round(now - t.windowStart) },
      'authentication failed',
    );
    t.windowStart = now;
    t.unlogged = 0;
  }

  /** Failures counted for a (user, address) pair that are still remembered. */
  failures(user: string | undefined, clientHost: string): number {
    return this.tracked.get(`${user?.slice(0, MAX_NAME_CHARS) ?? ''}\u0000${clientHost}`)?.total ?? 0;
  }

  get trackedPairs(): number {
    return this.tracked.size;
  }

  private takeLine(now: number): boolean {
    if (now - this.linesWindowStart >= this.intervalMs) {
      if (this.dropped > 0) this.log.warn({ notLogged: this.dropped, intervalMs: this.intervalMs }, 'more failed logins than logged individually');
      this.linesWindowStart = now;
      this.lines = 0;
      this.dropped = 0;
    }
    if (this.lines >= this.maxLines) {
      this.dropped++;
      return false;
    }
    this.lines++;
    return true;
  }
}
