// Produce latency of a traffic run, send to acknowledgement, per producer, on this machine's
// one clock. Kept as every sample (a run of minutes at a few hundred records a second is a
// few hundred thousand pairs of numbers) so that any interval can be asked about afterwards:
// the longest latency of the records in flight during a cutover's hold, and the longest per
// fixed window.

export interface LatencyWindow {
  /** Start of the window (epoch ms); records are placed by the time they were sent. */
  startMs: number;
  records: number;
  maxMs: number;
}

export interface LatencyDuring {
  /** Records in flight at some moment of the interval (sent before its end, acknowledged after its start). */
  records: number;
  maxMs: number;
  /** The producer of the longest one, or null when none was in flight. */
  producer: string | null;
}

interface Samples {
  sentMs: number[];
  ackedMs: number[];
}

export class ProduceLatency {
  private readonly byProducer = new Map<string, Samples>();

  add(producer: string, sentMs: number, ackedMs: number): void {
    let s = this.byProducer.get(producer);
    if (s === undefined) this.byProducer.set(producer, (s = { sentMs: [], ackedMs: [] }));
    s.sentMs.push(sentMs);
    s.ackedMs.push(ackedMs);
  }

  producers(): string[] {
    return [...this.byProducer.keys()].sort();
  }

  count(producer?: string): number {
    if (producer !== undefined) return this.byProducer.get(producer)?.sentMs.length ?? 0;
    let n = 0;
    for (const s of this.byProducer.values()) n += s.sentMs.length;
    return n;
  }

  /** Per window of `windowMs`, by send time, the records sent in it and the longest latency among them. */
  windows(producer: string, windowMs: number): LatencyWindow[] {
    const s = this.byProducer.get(producer);
    if (s === undefined) return [];
    const out = new Map<number, LatencyWindow>();
    for (let i = 0; i < s.sentMs.length; i++) {
      const startMs = Math.floor(s.sentMs[i] / windowMs) * windowMs;
      const latency = s.ackedMs[i] - s.sentMs[i];
      const w = out.get(startMs);
      if (w === undefined) out.set(startMs, { startMs, records: 1, maxMs: latency });
      else {
        w.records++;
        if (latency > w.maxMs) w.maxMs = latency;
      }
    }
    return [...out.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /** The longest latency among the records in flight at some moment of [fromMs, toMs]. */
  during(fromMs: number, toMs: number): LatencyDuring {
    const result: LatencyDuring = { records: 0, maxMs: 0, producer: null };
    for (const [producer, s] of this.byProducer) {
      for (let i = 0; i < s.sentMs.length; i++) {
        if (s.sentMs[i] > toMs || s.ackedMs[i] < fromMs) continue;
        result.records++;
        const latency = s.ackedMs[i] - s.sentMs[i];
        if (result.producer === null || latency > result.maxMs) {
          result.maxMs = latency;
          result.producer = producer;
        }
      }
    }
    return result;
  }

  /** Latency percentiles of the records in flight during [fromMs, toMs] (nearest rank), or null if none. */
  percentilesDuring(fromMs: number, toMs: number, ranks: readonly number[]): number[] | null {
    const latencies: number[] = [];
    for (const s of this.byProducer.values()) {
      for (let i = 0; i < s.sentMs.length; i++) {
        if (s.sentMs[i] <= toMs && s.ackedMs[i] >= fromMs) latencies.push(s.ackedMs[i] - s.sentMs[i]);
      }
    }
    if (latencies.length === 0) return null;
    latencies.sort((a, b) => a - b);
    return ranks.map((q) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))]);
  }
}
