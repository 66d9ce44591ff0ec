// What a proxy process costs, read from /proc the way `top` and `ps` do: user plus system CPU
// time (/proc/<pid>/stat) and the resident set's peak (VmHWM of /proc/<pid>/status), over
// the process and every process below it, so that a proxy running one worker per core is
// counted whole. Linux only; elsewhere the figures are NaN.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** One process's line of /proc/<pid>/stat, the fields after the command name. */
export interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  cpuSeconds: number;
  /** cutime + cstime: children that exited and were waited for, seconds. */
  childrenCpuSeconds: number;
}

/** Parses /proc/<pid>/stat; the command (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat {
  // Fields after the command start after its last ')': state is field 3, so index 0 here.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  const at = (field: number): number => Number(fields[field - 3]);
  return { ppid: at(4), cpuSeconds: (at(14) + at(15)) / CLOCK_TICKS, childrenCpuSeconds: (at(16) + at(17)) / CLOCK_TICKS };
}

/** A memory field (`VmHWM`, `VmRSS`, ...) of /proc/<pid>/status, in bytes; NaN without it (a kernel thread, a zombie). */
export function parseStatusBytes(statusText: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(statusText);
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

/** VmHWM of /proc/<pid>/status, in bytes; NaN without one. */
export function parsePeakRss(statusText: string): number {
  return parseStatusBytes(statusText, 'VmHWM');
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `root` and every live process below it (children, their children, ...). */
export function processTree(root: number, stats: ReadonlyMap<number, ProcStat>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) {
    const list = children.get(s.ppid);
    if (list === undefined) children.set(s.ppid, [pid]);
    else list.push(pid);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    if (!stats.has(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function allStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return stats;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined) stats.set(Number(name), s);
  }
  return stats;
}

/** CPU seconds used so far by `root` and the processes below it, reaped children included; NaN when it is gone. */
export function treeCpuSeconds(root: number): number {
  const stats = allStats();
  const own = stats.get(root);
  if (own === undefined) return Number.NaN;
  return processTree(root, stats).reduce((sum, pid) => sum + (stats.get(pid)?.cpuSeconds ?? 0), own.childrenCpuSeconds);
}

/** The sum of the processes' own RSS peaks (for one process, its peak), bytes; NaN when none is readable. */
export function treePeakRssBytes(root: number): number {
  let sum = Number.NaN;
  for (const pid of processTree(root, allStats())) {
    let peak = Number.NaN;
    try {
      peak = parsePeakRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      // Exited between the two reads.
    }
    if (Number.isFinite(peak)) sum = (Number.isFinite(sum) ? sum : 0) + peak;
  }
  return sum;
}

/** A process the bench measures from outside: a proxy's CPU time and memory peak. */
export interface ProcessMeter {
  /** What it is, for the report: `Turnout`, `HAProxy`. */
  name: string;
  cpuSeconds(): number;
  peakRssBytes(): number;
}

export function processMeter(name: string, pid: number): ProcessMeter {
  return { name, cpuSeconds: () => treeCpuSeconds(pid), peakRssBytes: () => treePeakRssBytes(pid) };
}

/** Several processes counted as one (the Turnout instances of the zone mode). */
export function combinedMeter(name: string, meters: readonly ProcessMeter[]): ProcessMeter {
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  return { name, cpuSeconds: () => sum(meters.map((m) => m.cpuSeconds())), peakRssBytes: () => sum(meters.map((m) => m.peakRssBytes())) };
}
