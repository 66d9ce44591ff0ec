// How far V8 lets the old generation grow past what the last major GC left alive, for a
// running proxy.
//
// V8 counts the bytes of ArrayBuffers allocated since the last major GC against the old
// generation's allocation limit. A proxy allocates one for nearly every socket read (its
// bytes), and they die young, but scavenges are rare because little else is allocated: at
// V8's own growth factor (about 2.2 for Turnout's 20 MB heap) the slack is used up after
// 12 to 24 MB of traffic, and the whole heap is marked again, several times a second under
// load. Measured on the profile harness (bench/README.md, "Major GCs driven by socket
// reads"): 3 to 8 major GCs per 80 MB produced or consumed before, 0 or 1 with 300%, and
// about 30% less CPU per MB consumed. The price is memory held longer between collections:
// the same peak RSS in the throughput bench, a higher one where many slow consumers hold
// buffers (bench/README.md, "Memory"). The factor is V8's own upper bound for a heap it
// collects quickly.
import v8 from 'node:v8';

export const DEFAULT_HEAP_GROWING_PERCENT = 300;

const FLAG = /(^|\s)--heap[-_]growing[-_]percent(=|\s|$)/;

/**
 * The V8 flag to set, or null when the operator chose a growth of their own on the command
 * line or in NODE_OPTIONS (theirs stands).
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined, percent = DEFAULT_HEAP_GROWING_PERCENT): string | null {
  if (execArgv.some((a) => FLAG.test(a)) || FLAG.test(nodeOptions ?? '')) return null;
  return `--heap-growing-percent=${percent}`;
}

/** Applies the growth to this process (V8 reads it whenever it sets a new limit); returns the flag set, if any. */
export function applyHeapGrowth(): string | null {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== null) v8.setFlagsFromString(flag);
  return flag;
}
