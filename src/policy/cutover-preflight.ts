// Preflight of a cutover (and all that `--dry-run` does): what must hold before a domain's
// traffic is held at all.
//   - the target is reachable with Turnout's credentials (a Metadata request answered);
//   - every topic of the domain on the source exists on the target with at least as many
//     partitions, and the configs that change what a record may be agree: cleanup.policy and
//     message.timestamp.type the same, max.message.bytes no smaller;
//   - the expected hold: the round trips the hold is made of (the drain check, two reads of the
//     end offsets on both sides, the barriers and the store writes), longer by the drain timeout
//     when transactions are open now, and the records expected to arrive meanwhile, from the
//     produce rate measured over `rateSampleMs`.
import type { CutoverBackends, TopicLayouts } from './cutover-backends.js';
import { partitionKey } from './cutover-backends.js';
import type { PreflightReport, PreflightTopic } from './cutover-record.js';
import type { PolicySnapshot } from './policy-snapshot.js';

/** The topic configs a target must agree with. */
export const COMPARED_CONFIGS = ['cleanup.policy', 'max.message.bytes', 'message.timestamp.type'] as const;

/** What each barrier and store write adds to a hold, roughly, in ms. */
const STEP_OVERHEAD_MS = 30;

export interface PreflightInput {
  backends: CutoverBackends;
  policy: PolicySnapshot;
  domain: string;
  from: string;
  to: string;
  drainTimeoutMs: number;
  rateSampleMs: number;
  switchPointIntervalMs: number;
  nowMs?: () => number;
}

export interface PreflightResult {
  report: PreflightReport;
  /** The domain's topics on the source (empty when they could not be listed). */
  source: TopicLayouts;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The domain's topics among a backend's. */
export function domainTopics(policy: PolicySnapshot, domain: string, all: TopicLayouts): TopicLayouts {
  const out: TopicLayouts = new Map();
  for (const [name, partitions] of all) {
    const r = policy.resolve('topic', name);
    if (r.ok && r.domain.name === domain) out.set(name, partitions);
  }
  return out;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

export async function runPreflight(input: PreflightInput): Promise<PreflightResult> {
  const { backends, from, to } = input;
  const nowMs = input.nowMs ?? Date.now;
  const problems: string[] = [];
  const report: PreflightReport = { ok: false, problems, topics: [], produceRecordsPerSecond: 0, rateSampleMs: input.rateSampleMs, expectedHoldMs: 0, expectedHeldRecords: 0, checkedAtMs: nowMs() };
  for (const b of [from, to]) if (!backends.reachable(b)) problems.push(`backend ${b} cannot be reached: its brokers are not known yet`);
  if (problems.length > 0) return { report, source: new Map() };

  let source: TopicLayouts;
  let sourceMs: number;
  try {
    const r = await timed(() => backends.topics(from, null));
    source = domainTopics(input.policy, input.domain, r.value);
    sourceMs = r.ms;
  } catch (err) {
    problems.push(`cannot list the topics of domain ${input.domain} on ${from}: ${messageOf(err)}`);
    return { report, source: new Map() };
  }
  const names = [...source.keys()].sort();
  let target: TopicLayouts;
  let targetMs: number;
  try {
    const r = await timed(() => backends.topics(to, names));
    target = r.value;
    targetMs = r.ms;
  } catch (err) {
    problems.push(`backend ${to} cannot be reached with Turnout's credentials: ${messageOf(err)}`);
    return { report, source };
  }

  let sourceConfigs = new Map<string, Map<string, string | null>>();
  let targetConfigs = new Map<string, Map<string, string | null>>();
  try {
    [sourceConfigs, targetConfigs] = await Promise.all([
      backends.configs(from, names, COMPARED_CONFIGS),
      backends.configs(to, names.filter((n) => target.has(n)), COMPARED_CONFIGS),
    ]);
  } catch (err) {
    problems.push(`cannot compare topic configs: ${messageOf(err)}`);
  }
  for (const name of names) {
    const s = source.get(name) ?? [];
    const t = target.get(name);
    const configs: PreflightTopic['configs'] = {};
    for (const c of COMPARED_CONFIGS) configs[c] = { source: sourceConfigs.get(name)?.get(c) ?? null, target: targetConfigs.get(name)?.get(c) ?? null };
    report.topics.push({ topic: name, sourcePartitions: s.length, targetPartitions: t?.length ?? -1, configs });
    if (t === undefined) {
      problems.push(`topic ${name} does not exist on ${to}`);
      continue;
    }
    if (t.length < s.length) problems.push(`topic ${name} has ${t.length} partitions on ${to}, fewer than its ${s.length} on ${from}`);
    problems.push(...configProblems(name, configs, to));
  }

  // The produce rate, and the transactions open now.
  let openTransactions = false;
  let rttMs = sourceMs;
  try {
    const first = await timed(() => backends.endOffsets(from, source, 'high-watermark'));
    rttMs = first.ms;
    const startedAt = performance.now();
    if (input.rateSampleMs > 0) await new Promise((r) => setTimeout(r, input.rateSampleMs));
    const [second, stable] = await Promise.all([backends.endOffsets(from, source, 'high-watermark'), backends.endOffsets(from, source, 'last-stable')]);
    const elapsedMs = Math.max(1, performance.now() - startedAt);
    let records = 0n;
    for (const [key, end] of second) records += end - (first.value.get(key) ?? end);
    report.produceRecordsPerSecond = Math.round((Number(records) * 1000) / elapsedMs);
    for (const [topic, partitions] of source) {
      for (const p of partitions) {
        const key = partitionKey(topic, p.index);
        if ((stable.get(key) ?? 0n) < (second.get(key) ?? 0n)) openTransactions = true;
      }
    }
  } catch (err) {
    problems.push(`cannot read the end offsets of domain ${input.domain} on ${from}: ${messageOf(err)}`);
  }
  // The hold: the drain check (2 reads), the switch points (2 reads and 2 more a side), 3 barriers and writes.
  const holdMs = 4 * rttMs + 2 * targetMs + input.switchPointIntervalMs + 3 * STEP_OVERHEAD_MS + (openTransactions ? input.drainTimeoutMs : 0);
  report.expectedHoldMs = Math.round(holdMs);
  report.expectedHeldRecords = Math.ceil((report.produceRecordsPerSecond * holdMs) / 1000);
  report.ok = problems.length === 0;
  report.checkedAtMs = nowMs();
  return { report, source };
}

function configProblems(topic: string, configs: PreflightTopic['configs'], to: string): string[] {
  const out: string[] = [];
  for (const name of ['cleanup.policy', 'message.timestamp.type'] as const) {
    const c = configs[name];
    if (c.source !== null && c.target !== null && c.source !== c.target) out.push(`topic ${topic}: ${name} is ${c.target} on ${to}, not ${c.source}`);
  }
  const bytes = configs['max.message.bytes'];
  if (bytes.source !== null && bytes.target !== null && Number(bytes.target) < Number(bytes.source)) {
    out.push(`topic ${topic}: max.message.bytes is ${bytes.target} on ${to}, below ${bytes.source}: records the source takes would be refused`);
  }
  return out;
}
