// A small, repeatable harness for Turnout's CPU cost on the data path: produce, consume and a
// steady-rate produce through one Turnout child in front of one cluster, with its CPU time per
// MB and per request read from /proc, and optionally a V8 CPU profile (`node --cpu-prof`,
// summarised as self time by function) or a Linux perf recording (on-CPU time by category)
// of each phase. See bench/README.md, "Profile".
//
//   node dist/bench/profile/run.js --bootstrap 127.0.0.1:25220 --records 80000 --cpu-prof /tmp/prof --perf /tmp/perf
//   node dist/bench/profile/run.js --bootstrap ... --rounds 4 --build before=/other/dist/src/cli.js --build after=dist/src/cli.js
//   node dist/bench/profile/run.js --bootstrap ... --second-bootstrap ...   # Turnout over two clusters
//
// Each build gets a child of its own per round: an uncounted warm-up, then the phases, each
// phase's profile being its window of the child's one profile. With several builds (or
// --direct), every round runs each of them back to back, the order rotating by one each
// round, and the medians of the per-round ratios are reported: the machine may be shared, so
// alternating is what makes two builds comparable.
//
// With --chain (two builds), both run at once, one in front of the other: the client talks
// to the outer child, whose one backend is the inner child, whose backend is the cluster.
// Every byte passes through both in the same window, so each phase's CPU ratio between them
// is free of whatever else the machine did meanwhile; the builds swap places every round,
// which cancels what the place itself costs.
//
//   node dist/bench/profile/run.js --bootstrap ... --rounds 6 --chain --build before=... --build after=...
//
// With --side-by-side (two builds), both run at once, each with a child and Kafka tools of its
// own: the load they meet is the same, and each does the same work. It is the A/B for paths a
// chain cannot put both builds on, such as a Fetch gathered over two backends (the outer child
// of a chain has one backend).
//
//   node dist/bench/profile/run.js --bootstrap ... --second-bootstrap ... --rounds 4 --side-by-side --build before=... --build after=...
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createTopics, deleteTopics } from '../bench-admin.js';
import { warmUpConnections } from '../comparison.js';
import { positiveInt } from '../cli-options.js';
import { consumePerf, producePerf } from '../perf-tools.js';
import { prepareSplitPerf, type SplitPerf, type SplitRoute } from '../split-perf.js';
import { startTurnoutChild, turnoutCliPath, type ChildBackend, type TurnoutChild } from '../turnout-child.js';
import { formatSummary, readProfile, type ProfileWindow } from './cpu-profile-summary.js';
import { categorize } from './perf-categories.js';

type Phase = 'produce' | 'consume' | 'steady';

interface Build {
  name: string;
  /** The compiled CLI, or null for the direct path (no proxy). */
  cli: string | null;
  /** Node flags of this build's child (`--build 'name=cli --flag …'`). */
  nodeFlags: string[];
  /** Environment variables of this build's child (`--build 'name=cli NAME=value …'`). */
  env: Record<string, string>;
}

interface PhaseResult {
  build: string;
  phase: Phase;
  round: number;
  mb: number;
  seconds: number;
  mbPerSec: number;
  cpuMs?: number;
  requests?: number;
  /** With --chain: whether this build was the one the client talked to, or the one behind it. */
  place?: 'outer' | 'inner';
  /** The phase's `perf record` file, with --perf. */
  perfData?: string;
  /** The phase's span on the monotonic clock, µs. */
  window: ProfileWindow;
  profile?: string;
}

const opts = new Command()
  .requiredOption('--bootstrap <servers>', 'the cluster to profile against (its own, not a shared one)')
  .option('--records <n>', 'records per produce and consume run', positiveInt('--records'), 60_000)
  .option('--record-size <bytes>', 'record size', positiveInt('--record-size'), 1024)
  .option('--phases <list>', 'phases to run, comma-separated', 'produce,consume,steady')
  .option('--steady-rate <n>', 'records/s of the steady phase', positiveInt('--steady-rate'), 2000)
  .option('--steady-seconds <n>', 'seconds of the steady phase', positiveInt('--steady-seconds'), 10)
  .option('--warmup-records <n>', 'uncounted records produced first through each child, in each of its warm-up connections', positiveInt('--warmup-records'), 20_000)
  .option('--rounds <n>', 'rounds', positiveInt('--rounds'), 1)
  .option('--partitions <n>', 'partitions of each topic', positiveInt('--partitions'), 6)
  .option('--build <name=cli>', "a build to measure (repeatable), optionally with node flags and environment variables: 'name=cli.js --flag NAME=value'; default: this checkout", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--direct', 'also run the tools straight to the cluster (throughput baseline)')
  .option('--cpu-prof <dir>', 'write a V8 CPU profile of each Turnout phase there and print its top functions')
  .option('--perf <dir>', 'record each Turnout phase with Linux perf (cpu-clock) there and print its time by category')
  .option('--top <n>', 'functions listed per profile', positiveInt('--top'), 15)
  .option('--chain', 'two builds at once, one in front of the other, swapping places each round')
  .option('--side-by-side', 'two builds at once, each with its own child and tools')
  .option('--second-bootstrap <list>', 'a second cluster: Turnout runs over both (its multi-backend router), every phase writes and reads a topic on each')
  .parse()
  .opts<{
    bootstrap: string;
    records: number;
    recordSize: number;
    phases: string;
    steadyRate: number;
    steadySeconds: number;
    warmupRecords: number;
    rounds: number;
    partitions: number;
    build: string[];
    direct?: boolean;
    cpuProf?: string;
    perf?: string;
    top: number;
    secondBootstrap?: string;
    chain?: boolean;
    sideBySide?: boolean;
  }>();

const phases = opts.phases.split(',').map((p) => p.trim()) as Phase[];
for (const p of phases) if (!['produce', 'consume', 'steady'].includes(p)) throw new Error(`unknown phase ${p}`);
const builds: Build[] = (opts.build.length === 0 ? [`this=${turnoutCliPath()}`] : opts.build).map((b) => {
  const at = b.indexOf('=');
  if (at <= 0) throw new Error(`--build ${b}: expected name=path/to/cli.js, optionally followed by node flags`);
  const [cli, ...rest] = b.slice(at + 1).trim().split(/\s+/);
  const env: Record<string, string> = {};
  const nodeFlags: string[] = [];
  for (const word of rest) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (assignment === null) nodeFlags.push(word);
    else env[assignment[1] as string] = assignment[2] as string;
  }
  return { name: b.slice(0, at), cli: resolve(cli as string), nodeFlags, env };
});
if (opts.direct) builds.push({ name: 'direct', cli: null, nodeFlags: [], env: {} });
if (opts.chain === true && (builds.length !== 2 || opts.direct === true || opts.secondBootstrap !== undefined || opts.cpuProf !== undefined || opts.perf !== undefined)) {
  throw new Error('--chain takes exactly two builds, and neither --direct, --second-bootstrap, --cpu-prof nor --perf');
}
if (opts.sideBySide === true && (builds.length !== 2 || opts.chain === true || opts.direct === true || opts.cpuProf !== undefined || opts.perf !== undefined)) {
  throw new Error('--side-by-side takes exactly two builds, and neither --chain, --direct, --cpu-prof nor --perf');
}
const quiet = (): void => {};
const runTag = Date.now().toString(36);

/** Sum of turnout_requests_total over its labels. */
async function requestsSoFar(child: TurnoutChild): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${child.adminPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('turnout_requests_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The monotonic clock in µs, the clock of a .cpuprofile's timestamps. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** With --second-bootstrap: the topic on the second cluster that goes with a measured one. */
function secondTopic(topic: string): string {
  return `second-${topic}`;
}

/** SplitPerf.java, compiled once for the run on first use. */
let splitPerf: Promise<SplitPerf> | undefined;

/** A topic and its twin on the second cluster, both reached through `bootstrap`. */
function splitRoutes(topic: string, bootstrap: string): SplitRoute[] {
  return [topic, secondTopic(topic)].map((t) => ({ topic: t, bootstrap }));
}

/**
 * A phase over both clusters (--second-bootstrap): one Java client writes round-robin to a
 * topic on each, or reads both back, so that Turnout splits each request per backend and
 * gathers the answers.
 */
async function runSplitTools(phase: Phase, bootstrap: string, topic: string, records: number, throughput: number): Promise<{ mb: number; seconds: number }> {
  const perf = await (splitPerf ??= prepareSplitPerf());
  if (phase === 'consume') {
    const r = await perf.consume(splitRoutes(topic, bootstrap));
    return { mb: r.bytes / 1e6, seconds: r.elapsedMs / 1000 };
  }
  const r = await perf.produce({ routes: splitRoutes(topic, bootstrap), records, recordSizeBytes: opts.recordSize, throughput, acks: 'all' });
  if (r.errors > 0) throw new Error(`${phase} over two clusters: ${r.errors} of ${r.records} sends failed`);
  return { mb: (records * opts.recordSize) / 1e6, seconds: r.elapsedMs / 1000 };
}

/** One phase's Kafka tool run against `bootstrap`: the MB it moved and the seconds it took. */
async function runTools(phase: Phase, bootstrap: string, topic: string, runName: string, warmUp = false): Promise<{ mb: number; seconds: number }> {
  const records = warmUp ? opts.warmupRecords : phase === 'steady' ? opts.steadyRate * opts.steadySeconds : opts.records;
  const throughput = phase === 'steady' ? opts.steadyRate : -1;
  if (opts.secondBootstrap !== undefined) return runSplitTools(phase, bootstrap, topic, records, throughput);
  if (phase === 'consume') {
    const r = await consumePerf({ topic, records: opts.records, group: `${topic}-g-${runName}`, bootstrap, log: quiet });
    return { mb: r.mb, seconds: r.fetchMs / 1000 };
  }
  const r = await producePerf({ topic, records, recordSizeBytes: opts.recordSize, throughput, bootstrap, clientId: `prof-${runName}`, log: quiet });
  return { mb: (records * opts.recordSize) / 1e6, seconds: r.records / r.recordsPerSec };
}

/** The JIT warm-up of a proxy, as the main bench does: producer runs (connections) not counted. */
async function warmUp(bootstrap: string, topic: string): Promise<void> {
  for (let run = 0; run < warmUpConnections(false); run++) await runTools('produce', bootstrap, `${topic}-warm`, 'warm', true);
}

async function runPhase(build: Build, child: TurnoutChild | null, phase: Phase, round: number, topic: string): Promise<PhaseResult> {
  const bootstrap = child?.bootstrapServers ?? opts.bootstrap;
  const cpu0 = child?.meter.cpuSeconds();
  const req0 = child === null ? 0 : await requestsSoFar(child);
  const perfData = child === null || opts.perf === undefined ? undefined : join(resolve(opts.perf), `${build.name}-${phase}-r${round}-${runTag}.data`);
  const recorder = perfData === undefined ? null : await startPerf((child as TurnoutChild).pid, perfData);
  const fromUs = nowUs();
  const { mb, seconds } = await runTools(phase, bootstrap, topic, build.name);
  const result: PhaseResult = { build: build.name, phase, round, mb, seconds, mbPerSec: mb / seconds, window: { fromUs, toUs: nowUs() }, perfData };
  if (recorder !== null) await stopPerf(recorder);
  if (child !== null && cpu0 !== undefined) {
    result.cpuMs = (child.meter.cpuSeconds() - cpu0) * 1000;
    result.requests = (await requestsSoFar(child)) - req0;
  }
  return result;
}

/** `perf record` of a process until stopped; resolves once it is sampling. */
async function startPerf(pid: number, file: string): Promise<ChildProcess> {
  mkdirSync(resolve(file, '..'), { recursive: true });
  const p = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return p;
}

function stopPerf(p: ChildProcess): Promise<void> {
  return new Promise((done) => {
    p.once('exit', () => done());
    p.kill('SIGINT');
  });
}

/** perf's report of a recording, by category (perf-categories.ts). */
function perfReport(file: string): string {
  const r = spawnSync('perf', ['report', '-i', file, '--no-children', '--sort', 'sym', '--stdio', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const { categories, symbols } = categorize(r.stdout ?? '');
  return [
    ...categories.map((c) => `${c.percent.toFixed(1).padStart(5)}%  ${c.category}`),
    ...symbols.slice(0, opts.top).map((x) => `   ${x.percent.toFixed(2).padStart(5)}%  ${x.category.padEnd(36)} ${x.symbol.slice(0, 100)}`),
  ].join('\n');
}

/**
 * One backend, or with --second-bootstrap two: a domain per backend, the `prof-*` topics on
 * the first and their `second-prof-*` twins on the second.
 */
function childBackends(): ChildBackend[] {
  const first: ChildBackend = { name: 'prof', bootstrapServers: opts.bootstrap.split(','), topicPrefix: 'prof-', groupPrefix: 'prof-' };
  if (opts.secondBootstrap === undefined) return [{ name: first.name, bootstrapServers: first.bootstrapServers }];
  return [first, { name: 'second', bootstrapServers: opts.secondBootstrap.split(','), topicPrefix: 'second-' }];
}

/** One build's round: a child of its own, an uncounted warm-up, then every phase. */
async function runBuild(build: Build, round: number, topic: string, steadyTopic: string): Promise<PhaseResult[]> {
  let child: TurnoutChild | null = null;
  let profDir: string | undefined;
  if (build.cli !== null) {
    const nodeArgs: string[] = [...build.nodeFlags, ...(opts.perf === undefined ? [] : ['--perf-basic-prof'])];
    if (opts.cpuProf !== undefined) {
      profDir = join(resolve(opts.cpuProf), `${build.name}-r${round}-${runTag}`);
      mkdirSync(profDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
    }
    child = await startTurnoutChild(childBackends(), { nodeArgs, cliPath: build.cli, env: build.env });
  }
  const results: PhaseResult[] = [];
  try {
    await warmUp(child?.bootstrapServers ?? opts.bootstrap, topic);
    for (const phase of phases) results.push(await runPhase(build, child, phase, round, phase === 'steady' ? steadyTopic : topic));
  } finally {
    await child?.stop();
  }
  if (profDir !== undefined) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file !== undefined) {
      const named = join(profDir, `${build.name}-r${round}.cpuprofile`);
      renameSync(join(profDir, file), named);
      for (const r of results) r.profile = named;
    }
  }
  return results;
}

/** One phase through the chain: the bytes and time of the client's run, the CPU of each child. */
async function runChainPhase(outer: { build: Build; child: TurnoutChild }, inner: { build: Build; child: TurnoutChild }, phase: Phase, round: number, topic: string): Promise<PhaseResult[]> {
  const children = [outer, inner];
  const cpu0 = children.map((c) => c.child.meter.cpuSeconds());
  const req0 = await Promise.all(children.map((c) => requestsSoFar(c.child)));
  const fromUs = nowUs();
  const { mb, seconds } = await runTools(phase, outer.child.bootstrapServers, topic, 'chain');
  const window = { fromUs, toUs: nowUs() };
  const req1 = await Promise.all(children.map((c) => requestsSoFar(c.child)));
  return children.map((c, i) => ({
    build: c.build.name,
    place: i === 0 ? ('outer' as const) : ('inner' as const),
    phase,
    round,
    mb,
    seconds,
    mbPerSec: mb / seconds,
    window,
    cpuMs: (c.child.meter.cpuSeconds() - (cpu0[i] as number)) * 1000,
    requests: (req1[i] as number) - (req0[i] as number),
  }));
}

/** One round of --side-by-side: both builds' children and tools at once, phase by phase. */
async function runSideBySideRound(round: number, topics: ReadonlyMap<string, string>, steadyTopic: string): Promise<PhaseResult[]> {
  const children: TurnoutChild[] = [];
  try {
    for (const b of builds) children.push(await startTurnoutChild(childBackends(), { nodeArgs: b.nodeFlags, cliPath: b.cli as string, env: b.env }));
    const topicOf = (b: Build): string => topics.get(b.name) as string;
    await Promise.all(builds.map((b, i) => warmUp((children[i] as TurnoutChild).bootstrapServers, topicOf(b))));
    const results: PhaseResult[] = [];
    for (const phase of phases) {
      results.push(...(await Promise.all(builds.map((b, i) => runPhase(b, children[i] as TurnoutChild, phase, round, phase === 'steady' ? `${steadyTopic}-${b.name}` : topicOf(b))))));
    }
    return results;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** One round of --chain: the first build outside on even rounds, inside on odd ones. */
async function runChainRound(round: number, topic: string, steadyTopic: string): Promise<PhaseResult[]> {
  const [outerBuild, innerBuild] = (round % 2 === 0 ? builds : [...builds].reverse()) as [Build, Build];
  const inner = await startTurnoutChild(childBackends(), { nodeArgs: innerBuild.nodeFlags, cliPath: innerBuild.cli as string, env: innerBuild.env });
  let outer: TurnoutChild | null = null;
  try {
    outer = await startTurnoutChild([{ name: 'inner', bootstrapServers: [inner.bootstrapServers.split(',')[0] as string] }], { nodeArgs: outerBuild.nodeFlags, cliPath: outerBuild.cli as string, env: outerBuild.env });
    await warmUp(outer.bootstrapServers, topic);
    const results: PhaseResult[] = [];
    for (const phase of phases) {
      results.push(...(await runChainPhase({ build: outerBuild, child: outer }, { build: innerBuild, child: inner }, phase, round, phase === 'steady' ? steadyTopic : topic)));
    }
    return results;
  } finally {
    await outer?.stop();
    await inner.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const results: PhaseResult[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order = opts.chain === true ? [] : builds.map((_, i) => builds[(i + round) % builds.length]);
    const topics = new Map<string, string>();
    for (const b of order) topics.set(b.name, `prof-${runTag}-r${round}-${b.name}`);
    if (opts.chain === true) topics.set('chain', `prof-${runTag}-r${round}-chain`);
    const steadyTopic = `prof-${runTag}-r${round}-steady`;
    // Side by side, each build writes a steady topic of its own at the same time.
    const steadyTopics = opts.sideBySide === true ? builds.map((b) => `${steadyTopic}-${b.name}`) : [steadyTopic];
    const roundTopics = [...topics.values(), ...[...topics.values()].map((t) => `${t}-warm`), ...steadyTopics];
    const clusters = opts.secondBootstrap === undefined ? [{ bootstrap: opts.bootstrap, names: roundTopics }] : [{ bootstrap: opts.bootstrap, names: roundTopics }, { bootstrap: opts.secondBootstrap, names: roundTopics.map(secondTopic) }];
    for (const c of clusters) await createTopics(c.bootstrap, c.names.map((topic) => ({ topic, numPartitions: opts.partitions, replicationFactor: 1 })));
    try {
      const runs =
        opts.chain === true
          ? [() => runChainRound(round, topics.get('chain') as string, steadyTopic)]
          : opts.sideBySide === true
            ? [() => runSideBySideRound(round, topics, steadyTopic)]
            : order.map((b) => () => runBuild(b, round, topics.get(b.name) as string, steadyTopic));
      for (const run of runs) {
        for (const r of await run()) {
          results.push(r);
          const cost = r.cpuMs === undefined ? '' : ` cpu ${r.cpuMs.toFixed(0)} ms, ${(r.cpuMs / r.mb).toFixed(2)} ms/MB, ${((r.cpuMs * 1000) / (r.requests ?? 1)).toFixed(1)} µs/req (${r.requests} req), ${((r.cpuMs / 1000 / r.seconds) * 100).toFixed(2)}% of a core`;
          console.log(`round ${round + 1} ${r.phase.padEnd(7)} ${r.build.padEnd(8)}${r.place === undefined ? '' : ` ${r.place.padEnd(5)}`} ${r.mb.toFixed(1)} MB in ${r.seconds.toFixed(2)} s (${r.mbPerSec.toFixed(1)} MB/s)${cost}`);
        }
      }
    } finally {
      // Unreplicated topics left on a shared cluster lose their leader whenever a broker stops,
      // which fails every client that asks for metadata of all topics meanwhile.
      for (const c of clusters) await deleteTopics(c.bootstrap, c.names);
    }
  }
  console.log('\nmedians over rounds:');
  console.log('| phase | build | MB/s | CPU ms/MB | CPU µs/request | share of a core |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const phase of phases) {
    for (const b of builds) {
      const rs = results.filter((r) => r.phase === phase && r.build === b.name);
      const cpu = rs.filter((r) => r.cpuMs !== undefined);
      const cell = (f: (r: PhaseResult) => number, digits: number): string => (cpu.length === 0 ? '' : median(cpu.map(f)).toFixed(digits));
      console.log(
        `| ${phase} | ${b.name} | ${median(rs.map((r) => r.mbPerSec)).toFixed(1)} | ${cell((r) => (r.cpuMs as number) / r.mb, 2)} | ${cell((r) => ((r.cpuMs as number) * 1000) / (r.requests as number), 1)} | ${cell((r) => ((r.cpuMs as number) / 10 / r.seconds), 2)}% |`,
      );
    }
  }
  if (builds.length > 1) {
    console.log('\nper-round ratios to the first build (medians):');
    const first = builds[0].name;
    for (const phase of phases) {
      for (const b of builds.slice(1)) {
        const cpuRatios: number[] = [];
        const tputRatios: number[] = [];
        for (let round = 0; round < opts.rounds; round++) {
          const a = results.find((r) => r.phase === phase && r.build === first && r.round === round);
          const x = results.find((r) => r.phase === phase && r.build === b.name && r.round === round);
          if (a === undefined || x === undefined) continue;
          tputRatios.push(x.mbPerSec / a.mbPerSec);
          if (a.cpuMs !== undefined && x.cpuMs !== undefined) cpuRatios.push(x.cpuMs / x.mb / (a.cpuMs / a.mb));
        }
        // Chained, the place itself costs a few percent; over an even number of rounds each
        // build held each place equally often, and the geometric mean cancels the place out.
        const unbalanced = opts.chain === true && cpuRatios.length % 2 === 1 ? ' (an odd number of rounds: not balanced)' : '';
        const label = opts.chain === true ? 'place-balanced (geometric mean)' : 'geometric mean';
        const balanced = (opts.chain === true || opts.sideBySide === true) && cpuRatios.length > 0 ? `, ${label} ${Math.exp(cpuRatios.reduce((sum, v) => sum + Math.log(v), 0) / cpuRatios.length).toFixed(3)}${unbalanced}` : '';
        console.log(`${phase} ${b.name}/${first}: throughput ${median(tputRatios).toFixed(3)} [${tputRatios.map((v) => v.toFixed(2)).join(' ')}]${cpuRatios.length > 0 ? `, CPU/MB ${median(cpuRatios).toFixed(3)} [${cpuRatios.map((v) => v.toFixed(2)).join(' ')}]${balanced}` : ''}`);
      }
    }
  }
  for (const r of results) {
    if (r.perfData === undefined) continue;
    console.log(`\nperf ${r.build} ${r.phase} round ${r.round + 1}: ${r.perfData}`);
    console.log(perfReport(r.perfData));
  }
  for (const r of results) {
    if (r.profile === undefined) continue;
    console.log(`\nprofile ${r.build} ${r.phase} round ${r.round + 1}: ${r.profile} (${r.window.fromUs}..${r.window.toUs} µs)`);
    console.log(formatSummary(readProfile(r.profile, r.window), opts.top, { mb: r.mb, requests: r.requests }));
  }
  console.log(JSON.stringify({ results }));
  await (await splitPerf)?.dispose();
}

await main();
