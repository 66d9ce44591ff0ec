// Turnout's memory, read from outside while a bench step runs: the resident set from
// /proc/<pid>/status every few hundred milliseconds (its peak over the step), and the V8 heap
// from Turnout's own /metrics (prom-client's default process metrics) at the step's end.
import { readFileSync } from 'node:fs';
import { parseStatusBytes } from '../proc-stats.js';

/** Resident set size now, from VmRSS of /proc/<pid>/status. */
export function residentBytes(pid: number): number {
  const bytes = parseStatusBytes(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
  if (Number.isNaN(bytes)) throw new Error(`no VmRSS in /proc/${pid}/status: is process ${pid} still running?`);
  return bytes;
}

/** The used V8 heap and external (Buffer) memory Turnout reports on its admin port. */
export interface HeapFigures {
  heapUsedBytes: number;
  externalBytes: number;
}

export function parseHeapMetrics(text: string): HeapFigures {
  const read = (name: string): number => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (m === null) throw new Error(`Turnout's /metrics has no ${name}`);
    return Number(m[1]);
  };
  return { heapUsedBytes: read('turnout_nodejs_heap_size_used_bytes'), externalBytes: read('turnout_nodejs_external_memory_bytes') };
}

export async function heapOf(adminPort: number): Promise<HeapFigures> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (res.status !== 200) throw new Error(`Turnout's /metrics answered HTTP ${res.status}`);
  return parseHeapMetrics(await res.text());
}

/** Samples a process's resident set until stopped; `peakBytes` is the highest seen. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  private peak: number;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.peak = residentBytes(pid);
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, residentBytes(this.pid));
    }, intervalMs);
  }

  get peakBytes(): number {
    return Math.max(this.peak, residentBytes(this.pid));
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peakBytes;
  }
}

/** What a step cost Turnout: resident set before, at its peak and after, heap after. */
export interface StepMemory {
  rssBeforeBytes: number;
  rssPeakBytes: number;
  rssAfterBytes: number;
  heapAfter: HeapFigures;
}

/** Runs `step` while sampling Turnout's resident set; `settle` waits before the after reading. */
export async function measureStep<T>(pid: number, adminPort: number, step: () => Promise<T>, settleMs = 2_000): Promise<{ result: T; memory: StepMemory }> {
  const rssBeforeBytes = residentBytes(pid);
  const sampler = new RssSampler(pid);
  let result: T;
  try {
    result = await step();
  } finally {
    sampler.stop();
  }
  await new Promise((r) => setTimeout(r, settleMs));
  return { result, memory: { rssBeforeBytes, rssPeakBytes: sampler.peakBytes, rssAfterBytes: residentBytes(pid), heapAfter: await heapOf(adminPort) } };
}
