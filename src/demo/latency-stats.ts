// Percentiles of latency samples, in the units given (ms in the demo).

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sortedAscending: readonly number[], q: number): number {
  const n = sortedAscending.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sortedAscending[rank - 1] as number;
}

export function summarizeLatency(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    count: arr.length,
    p50: percentile(arr, 0.5),
    p99: percentile(arr, 0.99),
    max: arr.length === 0 ? Number.NaN : (arr[arr.length - 1] as number),
    mean: arr.length === 0 ? Number.NaN : sum / arr.length,
  };
}
