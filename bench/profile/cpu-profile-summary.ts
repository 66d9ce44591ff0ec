// Self time by function from a V8 .cpuprofile (what `node --cpu-prof` writes): each sample
// is charged to the function on top of the stack, functions are keyed by name and source
// position, and the top ones are printed with their share of the busy (non-idle) time and,
// given the bytes or requests the run moved, per MB and per request.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  /** µs on the monotonic clock, the one process.hrtime reads. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  /** `name file:line`, or V8's pseudo-frames as they are: (garbage collector), (program). */
  name: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** Sampled time outside (idle), ms. */
  busyMs: number;
  idleMs: number;
  functions: FunctionCost[];
}

function frameName(node: ProfileNode): string {
  const f = node.callFrame;
  const fn = f.functionName === '' ? '(anonymous)' : f.functionName;
  if (f.url === '') return fn;
  const file = f.url.includes('/node_modules/') ? f.url.slice(f.url.lastIndexOf('/node_modules/') + 14) : basename(f.url);
  return `${fn} ${file}:${f.lineNumber + 1}`;
}

/** A span of the monotonic clock in µs (`process.hrtime.bigint() / 1000n`), to summarise one phase of a run. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export function summarizeProfile(profile: CpuProfile, window?: ProfileWindow): ProfileSummary {
  const byId = new Map<number, string>();
  for (const node of profile.nodes) byId.set(node.id, frameName(node));
  const selfUs = new Map<string, number>();
  // timeDeltas[i] is the time before sample i; it is charged to sample i's frame, as DevTools does.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
    const name = byId.get(profile.samples[i]) ?? '(unknown)';
    selfUs.set(name, (selfUs.get(name) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const idleUs = selfUs.get('(idle)') ?? 0;
  selfUs.delete('(idle)');
  const functions = [...selfUs].map(([name, us]) => ({ name, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs);
  return { busyMs: functions.reduce((s, f) => s + f.selfMs, 0), idleMs: idleUs / 1000, functions };
}

export function readProfile(file: string, window?: ProfileWindow): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, window);
}

/** Self time of the functions whose name (with its file) matches each pattern, ms. */
export function selfTimeMatching(s: ProfileSummary, patterns: readonly RegExp[]): number[] {
  return patterns.map((re) => s.functions.reduce((sum, f) => (re.test(f.name) ? sum + f.selfMs : sum), 0));
}

/** The top `n` functions as a table; per MB and per request columns when those are given. */
export function formatSummary(s: ProfileSummary, n: number, per: { mb?: number; requests?: number } = {}): string {
  const lines = [`busy ${s.busyMs.toFixed(0)} ms (idle ${s.idleMs.toFixed(0)} ms)${per.mb ? `, ${(s.busyMs / per.mb).toFixed(2)} ms/MB` : ''}${per.requests ? `, ${((s.busyMs * 1000) / per.requests).toFixed(1)} µs/request` : ''}`];
  lines.push('| self ms | share | ' + (per.mb ? 'ms/MB | ' : '') + (per.requests ? 'µs/req | ' : '') + 'function |');
  lines.push('| ---: | ---: | ' + (per.mb ? '---: | ' : '') + (per.requests ? '---: | ' : '') + '--- |');
  for (const f of s.functions.slice(0, n)) {
    const cells = [f.selfMs.toFixed(1), `${((100 * f.selfMs) / s.busyMs).toFixed(1)}%`];
    if (per.mb) cells.push((f.selfMs / per.mb).toFixed(3));
    if (per.requests) cells.push(((f.selfMs * 1000) / per.requests).toFixed(2));
    cells.push(f.name.replace(/\|/g, '\\|'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

// `npx tsx bench/profile/cpu-profile-summary.ts FILE.cpuprofile [--top N] [--mb X] [--requests N] [--from US --to US] [--grep REGEX]...`
if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  const args = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : Number(args[i + 1]);
  };
  const file = args.find((a) => a.endsWith('.cpuprofile'));
  if (file === undefined) {
    console.error('usage: cpu-profile-summary FILE.cpuprofile [--top N] [--mb X] [--requests N]');
    process.exit(2);
  }
  const fromUs = opt('--from');
  const toUs = opt('--to');
  const window = fromUs === undefined || toUs === undefined ? undefined : { fromUs, toUs };
  const summary = readProfile(file, window);
  console.log(formatSummary(summary, opt('--top') ?? 15, { mb: opt('--mb'), requests: opt('--requests') }));
  const greps = args.flatMap((a, i) => (a === '--grep' && args[i + 1] !== undefined ? [args[i + 1]] : []));
  const totals = selfTimeMatching(summary, greps.map((g) => new RegExp(g)));
  greps.forEach((g, i) => console.log(`/${g}/: ${totals[i].toFixed(1)} ms self (${((100 * totals[i]) / summary.busyMs).toFixed(1)}% of busy)`));
}
