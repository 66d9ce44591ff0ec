// A proxy's warm-up that ends when its cost has settled, not after a fixed count. V8 keeps
// optimising Turnout's request path for a long while: over two backends, ten produce runs of
// 46,000 records in a row through one fresh Turnout cost 39, 20, 21, 17, 12, 14, 13, 12, 11
// and 11 ticks of CPU, with 62, 27, 18, 18, 8, 5, 4, 5, 0 and 4 functions optimised during
// each (`node --trace-opt`) and almost no deoptimisation; one backend settles sooner (23,
// 15, 16, 9, 11, 19, 12, 9, 10, 9). A proxy in service has long been past that, so the bench
// measures it there: runs of the measured size go through a proxy with a JIT (Turnout,
// Kroxylicious) until the last few cost about the same per MB. HAProxy has none to wait for.
import type { MeasuredProxy } from './proxy-run.js';
import { measureRun } from './proxy-run.js';

export interface SettleRule {
  /** Runs compared: the last this many. */
  window: number;
  /** Settled when the largest of them is at most this times the smallest. */
  spread: number;
  /** Stop after this many runs, settled or not. */
  maxRuns: number;
}

/**
 * The last three runs within 15% of each other, at most 8 runs. Three, not two: CPU is read in
 * 10 ms ticks, some 10–40 a run at this size, so two runs agree by chance (20 and 21 ticks
 * on the way down from 39 to 11 above); on those traces the rule stops at the 8th run, within
 * a tick or two of where they end.
 */
export const SETTLE_RULE: SettleRule = { window: 3, spread: 1.15, maxRuns: 8 };

/** Whether the trail of CPU ms per MB, one per run, has settled by `rule`. */
export function hasSettled(trail: readonly number[], rule: SettleRule = SETTLE_RULE): boolean {
  if (trail.length < rule.window) return false;
  const last = trail.slice(-rule.window);
  const low = Math.min(...last);
  return low > 0 && Math.max(...last) <= rule.spread * low;
}

/** What the warm-up did: each run's CPU ms per MB, and whether it ended settled. */
export interface WarmUpTrail {
  cpuMsPerMb: number[];
  settled: boolean;
}

/** Runs `run` (moving `mb` MB) through `proxy` until its CPU per MB settles or `rule.maxRuns` runs are done. */
export async function warmUntilSettled(proxy: MeasuredProxy, mb: number, run: () => Promise<unknown>, rule: SettleRule = SETTLE_RULE): Promise<WarmUpTrail> {
  const cpuMsPerMb: number[] = [];
  while (cpuMsPerMb.length < rule.maxRuns) {
    const m = await measureRun(proxy, run);
    cpuMsPerMb.push(((m.cpuSec ?? 0) * 1000) / mb);
    if (hasSettled(cpuMsPerMb, rule)) return { cpuMsPerMb, settled: true };
  }
  return { cpuMsPerMb, settled: false };
}

/** `Turnout 7.1 4.0 3.8 3.1 2.9 3.0 ms/MB, settled` for a report line. */
export function formatTrail(name: string, trail: WarmUpTrail): string {
  return `${name} ${trail.cpuMsPerMb.map((x) => x.toFixed(1)).join(' ')} ms/MB, ${trail.settled ? 'settled' : 'not settled'}`;
}
