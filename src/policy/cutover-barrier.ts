// The barrier of a cutover step: every instance alive now must confirm it (cutover-store.ts
// `ack`) before the deadline. The live instances are asked again on every round, so an instance
// that starts during the step is waited for too (it reads the state after renewing its lease:
// cutover-redis-store.ts). An instance that confirms with a failure fails the step at once.
import type { AckStep, CutoverStore } from './cutover-store.js';

export type BarrierResult = { ok: true; instances: string[] } | { ok: false; reason: string };

export interface BarrierOptions {
  store: CutoverStore;
  cutoverId: string;
  step: AckStep;
  timeoutMs: number;
  /** Time between two looks at the confirmations, in ms. (default: 25) */
  pollMs?: number;
  /** Throws to stop waiting (the cutover was rolled back meanwhile). */
  check?: () => void;
}

export async function awaitConfirmations(opts: BarrierOptions): Promise<BarrierResult> {
  const { store, cutoverId, step } = opts;
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.check?.();
    const [live, acks] = await Promise.all([store.liveInstances(), store.acks(cutoverId, step)]);
    for (const [instance, report] of acks) {
      if (!report.ok) return { ok: false, reason: `instance ${instance} could not confirm ${step}: ${report.reason ?? 'no reason given'}` };
    }
    const missing = live.filter((i) => !acks.has(i));
    if (missing.length === 0) return { ok: true, instances: live };
    if (Date.now() >= deadline) return { ok: false, reason: `instance${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not confirm ${step} within ${opts.timeoutMs} ms` };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 25));
  }
}
