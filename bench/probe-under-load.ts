// The latency probe beside the producer perf test capped at a moderate rate, on the same path:
// the probe starts once the perf test's JVM is up and stops before the perf test does, so
// that every round trip it times runs under the load.
import type { ProducerPerfResult } from './perf-output.js';
import { producePerf, type ProducePerfOptions } from './perf-tools.js';
import { runProduceProbe, type ProbeLatency, type ProbeOptions } from './produce-probe.js';

/** Time the perf test's JVM takes to start sending. */
const JVM_START_MS = 1_500;

/** Runs both; `durationMs` is how long the capped perf test runs. */
export async function probeUnderLoad(perf: ProducePerfOptions, probe: Omit<ProbeOptions, 'durationMs'>, durationMs: number): Promise<{ perf: ProducerPerfResult; probe: ProbeLatency }> {
  const [perfResult, probeResult] = await Promise.all([
    producePerf(perf),
    new Promise<void>((r) => setTimeout(r, JVM_START_MS)).then(() => runProduceProbe({ ...probe, durationMs: Math.max(1_000, durationMs - 1_000) })),
  ]);
  return { perf: perfResult, probe: probeResult };
}
