// End-to-end latency of the zone workload: produce timestamp (the record's CreateTime, set by
// the producer) to the moment a consumer sees the record, on one machine clock. Consumers
// keep whole-millisecond counts and send them to the runner, which merges the consumers'
// counts and reads percentiles from the merged histogram.

/** Milliseconds → number of records that took that long. */
export type LatencyCounts = Record<string, number>;

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  total = 0;

  add(latencyMs: number): void {
    // A clock step could give a negative value; it counts as no delay rather than vanishing.
    const ms = Math.max(0, Math.round(latencyMs));
    this.counts.set(ms, (this.counts.get(ms) ?? 0) + 1);
    this.total += 1;
  }

  toJSON(): LatencyCounts {
    return Object.fromEntries([...this.counts].sort((a, b) => a[0] - b[0]).map(([ms, n]) => [String(ms), n]));
  }
}

export interface LatencySummary {
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Adds several consumers' counts together. */
export function mergeLatency(parts: readonly LatencyCounts[]): LatencyCounts {
  const merged = new Map<number, number>();
  for (const part of parts) {
    for (const [ms, n] of Object.entries(part)) merged.set(Number(ms), (merged.get(Number(ms)) ?? 0) + n);
  }
  return Object.fromEntries([...merged].sort((a, b) => a[0] - b[0]).map(([ms, n]) => [String(ms), n]));
}

/** Nearest-rank percentiles; undefined without records. */
export function summarizeLatency(counts: LatencyCounts): LatencySummary | undefined {
  const entries = Object.entries(counts)
    .map(([ms, n]) => [Number(ms), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const records = entries.reduce((sum, [, n]) => sum + n, 0);
  if (records === 0) return undefined;
  const at = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * records));
    let seen = 0;
    for (const [ms, n] of entries) {
      seen += n;
      if (seen >= rank) return ms;
    }
    return entries[entries.length - 1]?.[0] ?? 0;
  };
  return { records, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: entries[entries.length - 1]?.[0] ?? 0 };
}
