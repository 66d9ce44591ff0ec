// What a proxy costs at a steady, moderate rate, against the least a Node.js process can cost
// for the same traffic. At a few hundred requests a second, a proxy's CPU is mostly waking up
// per request (two socket reads, two writes, the event loop around them), not the bytes. This
// run puts four paths in front of one single-broker cluster and measures each one's CPU from
// /proc while Kafka's producer perf tool writes at a fixed rate through it:
//
//   - Turnout (a child as `bin/turnout` runs it);
//   - a bare Node.js relay (relay.ts): Turnout's reads and ordinary writes, no Kafka at all, the
//     floor of any Node.js proxy;
//   - HAProxy in TCP mode, the floor of any proxy;
//   - with --kroxylicious, Kroxylicious (bench/kroxylicious.ts), no filters.
//
// The relay and HAProxy know nothing of Kafka, so the cluster's broker has a listener for each
// that advertises its port. Every path is warmed up first: uncapped runs, then runs at the
// steady rate, one for HAProxy and, for the paths with a JIT, as many as it takes for their CPU
// to settle (warm-until-settled.ts); rounds run each path in turn, the order rotating; medians
// of per-round ratios are printed, then one JSON line.
//
// With --uncapped-records, each round also produces that many records uncapped through every
// path, with the producer's batch.size at --batch-bytes: CPU per MB at a chosen request size,
// which is what a proxy's cost per request comes to when requests come back to back (the
// two-backend case's producer sends requests of about 44 KB).
//
//   node dist/bench/floor/run.js [--rate 2000] [--seconds 20] [--rounds 3] [--kroxylicious]
//     [--uncapped-records 100000 --batch-bytes 8192]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startCluster, stopCluster } from '../../src/devkit/index.js';
import { createTopics } from '../bench-admin.js';
import { scrapeFetchPathCounts } from '../cutover/fetch-paths.js';
import { positiveInt } from '../cli-options.js';
import { MB, median, rotation, warmUpConnections } from '../comparison.js';
import { startHaproxy } from '../haproxy.js';
import { prepareKroxylicious, startKroxylicious } from '../kroxylicious.js';
import { acceptsOnLoopback, spawnOwned, waitUntilReady, type OwnedChild } from '../owned-child.js';
import { producePerf } from '../perf-tools.js';
import { processMeter } from '../proc-stats.js';
import { measureRun, type MeasuredProxy, type MeasuredRun } from '../proxy-run.js';
import { freePortBlock, startTurnoutChild, turnoutChildEnv } from '../turnout-child.js';
import { formatTrail, warmUntilSettled, type WarmUpTrail } from '../warm-until-settled.js';

const CLUSTER = 'bench-floor';

const opts = new Command()
  .option('--rate <n>', 'records/s of each steady run', positiveInt('--rate'), 2_000)
  .option('--seconds <n>', 'seconds of each steady run', positiveInt('--seconds'), 20)
  .option('--rounds <n>', 'rounds (each runs every path once)', positiveInt('--rounds'), 3)
  .option('--record-size <bytes>', 'record size', positiveInt('--record-size'), 1024)
  .option('--warmup-records <n>', 'records of each uncapped warm-up run', positiveInt('--warmup-records'), 60_000)
  .option('--warmup-seconds <n>', 'seconds of each uncounted steady run that ends a warm-up', positiveInt('--warmup-seconds'), 20)
  .option('--uncapped-records <n>', 'records of an uncapped produce run per path in each round (default: none)', positiveInt('--uncapped-records'))
  .option('--batch-bytes <n>', "the producer's batch.size in the uncapped runs", positiveInt('--batch-bytes'), 8_192)
  .option('--kroxylicious', 'also measure Kroxylicious (Maven fetches it once)')
  .option('--keep-cluster', `leave cluster ${CLUSTER} running afterwards`)
  .parse()
  .opts<{
    rate: number;
    seconds: number;
    rounds: number;
    recordSize: number;
    warmupRecords: number;
    warmupSeconds: number;
    uncappedRecords?: number;
    batchBytes: number;
    kroxylicious?: boolean;
    keepCluster?: boolean;
  }>();

type FloorPath = 'turnout' | 'relay' | 'haproxy' | 'kroxylicious';
const LABELS: Readonly<Record<FloorPath, string>> = { turnout: 'Turnout', relay: 'Node.js relay', haproxy: 'HAProxy', kroxylicious: 'Kroxylicious' };
/**
 * The paths whose code a JIT compiles as it runs. At the steady rate V8 keeps changing a
 * Node.js process's code long after the uncapped runs: a fresh Turnout cost 4.6–6.8%, then
 * 3.4%, of a core in the first and last 25 s of one 60 s steady run, and 3.2% and 2.9% in the
 * two runs after it, each a new producer connection (2026-12-07).
 */
const JIT_PATHS: ReadonlySet<FloorPath> = new Set<FloorPath>(['turnout', 'relay', 'kroxylicious']);

interface Proxy extends MeasuredProxy {
  bootstrap: string;
  stop(): Promise<void>;
}

interface SteadyRun {
  path: FloorPath;
  round: number;
  /** The proxy's CPU over the run, as a share of one core. */
  coreShare: number;
  requests: number | null;
}

/** An uncapped produce run at the chosen batch size. */
interface UncappedRun {
  path: FloorPath;
  round: number;
  /** The proxy's CPU ms per MB produced. */
  cpuMsPerMb: number;
  mbPerSec: number;
  /** Turnout's Produce requests in the run (null for the other paths). */
  requests: number | null;
}

const log = (line: string): void => {
  process.stderr.write(`bench floor: ${line}\n`);
};
const quiet = (): void => undefined;

/** The broker's listener for a proxy that knows nothing of Kafka: bound on one port, advertising the proxy's. */
interface ProxiedListener {
  name: string;
  brokerPort: number;
  proxyPort: number;
}

function listenerConfig(base: number, proxied: readonly ProxiedListener[]): Record<string, string> {
  const plain = `PLAINTEXT://127.0.0.1:${base}`;
  return {
    listeners: [plain, ...proxied.map((l) => `${l.name}://127.0.0.1:${l.brokerPort}`)].join(','),
    'advertised.listeners': [plain, ...proxied.map((l) => `${l.name}://127.0.0.1:${l.proxyPort}`)].join(','),
    'listener.security.protocol.map': ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...proxied.map((l) => `${l.name}:PLAINTEXT`)].join(','),
  };
}

async function startRelayChild(listen: ProxiedListener): Promise<Proxy> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'relay.js');
  const dir = await mkdtemp(join(tmpdir(), 'turnout-bench-relay-'));
  const child: OwnedChild = spawnOwned(process.execPath, [script, String(listen.proxyPort), `127.0.0.1:${listen.brokerPort}`], { dir, graceMs: 3_000, env: turnoutChildEnv() });
  await waitUntilReady(child, () => acceptsOnLoopback(listen.proxyPort), {
    timeoutMs: 15_000,
    intervalMs: 100,
    fail: (reason, output) => new Error(`Node.js relay: ${reason}\n${output.slice(-1_500)}`),
  });
  return { bootstrap: `127.0.0.1:${listen.proxyPort}`, meter: processMeter('Node.js relay', child.pid), stop: child.stop };
}

/** Produce requests Turnout answered so far, from its metrics. */
async function turnoutProduceRequests(adminUrl: string): Promise<number> {
  return (await scrapeFetchPathCounts(adminUrl)).turnout_requests_total?.Produce ?? 0;
}

/** Measures `run` through `proxy`, and, for Turnout (an admin URL given), the Produce requests it answered meanwhile. */
async function measureCountingRequests<T>(proxy: Proxy, adminUrl: string | undefined, run: () => Promise<T>): Promise<MeasuredRun<T> & { requests: number | null }> {
  const before = adminUrl === undefined ? null : await turnoutProduceRequests(adminUrl);
  const m = await measureRun(proxy, run);
  return { ...m, requests: adminUrl === undefined || before === null ? null : (await turnoutProduceRequests(adminUrl)) - before };
}

function ratioRows(runs: ReadonlyArray<{ path: FloorPath; round: number; cost: number }>, paths: readonly FloorPath[]): string[] {
  const rows: string[] = [];
  const of = (p: FloorPath, round: number): number | undefined => runs.find((r) => r.path === p && r.round === round)?.cost;
  for (const [a, b] of [['turnout', 'relay'], ['turnout', 'haproxy'], ['relay', 'haproxy'], ['turnout', 'kroxylicious'], ['relay', 'kroxylicious'], ['kroxylicious', 'haproxy']] as Array<[FloorPath, FloorPath]>) {
    if (!paths.includes(a) || !paths.includes(b)) continue;
    const perRound = [...Array(opts.rounds).keys()].map((r) => (of(a, r) ?? NaN) / (of(b, r) ?? NaN));
    rows.push(`| ${LABELS[a]} / ${LABELS[b]} | ${median(perRound).toFixed(2)} | ${perRound.map((x) => x.toFixed(2)).join(' ')} |`);
  }
  return rows;
}

/** The uncapped runs' table: CPU per MB per path, then the ratios. */
function uncappedLines(uncapped: readonly UncappedRun[], paths: readonly FloorPath[]): string[] {
  const turnoutRequests = uncapped.filter((r) => r.requests !== null).map((r) => ((opts.uncappedRecords ?? 0) * opts.recordSize) / (r.requests as number) / 1024);
  return [
    '',
    `uncapped produce, ${opts.uncappedRecords ?? 0} records per run, batch.size ${opts.batchBytes}${turnoutRequests.length > 0 ? ` (Turnout's produce requests: ${Math.round(median(turnoutRequests))} KiB each, median)` : ''}`,
    '',
    '| path | CPU ms/MB | rounds | MB/s |',
    '| --- | ---: | --- | ---: |',
    ...paths.map((p) => {
      const mine = uncapped.filter((r) => r.path === p);
      return `| ${LABELS[p]} | ${median(mine.map((r) => r.cpuMsPerMb)).toFixed(2)} | ${mine.map((r) => r.cpuMsPerMb.toFixed(2)).join(' ')} | ${median(mine.map((r) => r.mbPerSec)).toFixed(1)} |`;
    }),
    '',
    '| ratio | median | rounds |',
    '| --- | ---: | --- |',
    ...ratioRows(uncapped.map((r) => ({ path: r.path, round: r.round, cost: r.cpuMsPerMb })), paths),
  ];
}

async function main(): Promise<void> {
  const base = await freePortBlock(6);
  const haproxyListener: ProxiedListener = { name: 'HAPROXY', brokerPort: base + 2, proxyPort: base + 3 };
  const relayListener: ProxiedListener = { name: 'RELAY', brokerPort: base + 4, proxyPort: base + 5 };
  log(`starting cluster ${CLUSTER} (1 broker at 127.0.0.1:${base}, listeners for HAProxy and the relay)`);
  const info = await startCluster({ name: CLUSTER, brokers: 1, basePort: base, heapMb: 768, brokerConfig: listenerConfig(base, [haproxyListener, relayListener]), log });
  const proxies = new Map<FloorPath, Proxy>();
  let adminUrl: string | undefined;
  try {
    const turnout = await startTurnoutChild([{ name: 'floor', bootstrapServers: info.bootstrapServers.split(',') }]);
    adminUrl = `http://127.0.0.1:${turnout.adminPort}`;
    proxies.set('turnout', { bootstrap: turnout.bootstrapServers, meter: turnout.meter, stop: turnout.stop });
    proxies.set('relay', await startRelayChild(relayListener));
    const haproxy = await startHaproxy([{ name: 'floor', listenPort: haproxyListener.proxyPort, target: { host: '127.0.0.1', port: haproxyListener.brokerPort } }]);
    proxies.set('haproxy', { bootstrap: `127.0.0.1:${haproxyListener.proxyPort}`, meter: haproxy.meter, stop: haproxy.stop });
    if (opts.kroxylicious === true) {
      const classpath = await prepareKroxylicious(log);
      const k = await startKroxylicious(classpath, info.bootstrapServers, [1]);
      proxies.set('kroxylicious', { bootstrap: k.bootstrapServers, meter: k.meter, stop: k.stop });
    }
    const paths = [...proxies.keys()];
    const topic = (p: FloorPath, kind: string): string => `floor-${p}-${kind}-${Date.now().toString(36)}`;
    const topics = new Map(paths.map((p) => [p, { warm: topic(p, 'warm'), steady: topic(p, 'steady'), uncapped: topic(p, 'uncapped') }]));
    await createTopics(info.bootstrapServers, [...topics.values()].flatMap((t) => [t.warm, t.steady, t.uncapped]).map((t) => ({ topic: t, numPartitions: 6, replicationFactor: 1 })));

    const warmUps: Partial<Record<FloorPath, WarmUpTrail>> = {};
    for (const p of paths) {
      const proxy = proxies.get(p) as Proxy;
      const jit = JIT_PATHS.has(p);
      log(`warm-up ${LABELS[p]}: ${warmUpConnections(false)} × ${opts.warmupRecords} records uncapped, then ${jit ? 'runs' : 'a run'} of ${opts.warmupSeconds} s at the steady rate${jit ? ' until its CPU settles' : ''}`);
      const warm = { topic: topics.get(p)?.warm as string, recordSizeBytes: opts.recordSize, bootstrap: proxy.bootstrap, clientId: `floor-warm-${p}`, log: quiet };
      for (let i = 0; i < warmUpConnections(false); i++) await producePerf({ ...warm, records: opts.warmupRecords, throughput: -1 });
      // The steady rate's requests are small and come one at a time: a JIT (V8's, the JVM's)
      // compiles what they run only after seeing them for a while, and V8 throws away code
      // specialised to a connection once that connection is gone.
      const records = opts.rate * opts.warmupSeconds;
      const steadyRun = (): Promise<unknown> => producePerf({ ...warm, records, throughput: opts.rate });
      if (jit) {
        const trail = await warmUntilSettled(proxy, (records * opts.recordSize) / MB, steadyRun);
        warmUps[p] = trail;
        log(`warmed up at the steady rate: ${formatTrail(LABELS[p], trail)}`);
      } else {
        await steadyRun();
      }
    }

    const runs: SteadyRun[] = [];
    const uncapped: UncappedRun[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      for (const p of rotation(paths, round)) {
        const proxy = proxies.get(p) as Proxy;
        const records = opts.rate * opts.seconds;
        const m = await measureCountingRequests(proxy, p === 'turnout' ? adminUrl : undefined, () =>
          producePerf({ topic: topics.get(p)?.steady as string, records, recordSizeBytes: opts.recordSize, throughput: opts.rate, bootstrap: proxy.bootstrap, clientId: `floor-${p}`, log: quiet }),
        );
        const seconds = m.value.records / m.value.recordsPerSec;
        const run: SteadyRun = { path: p, round, coreShare: (m.cpuSec ?? NaN) / seconds, requests: m.requests };
        runs.push(run);
        log(`round ${round + 1} ${LABELS[p].padEnd(13)} ${(run.coreShare * 100).toFixed(2)}% of a core${run.requests === null ? '' : ` (${run.requests} produce requests)`}, p50 ${m.value.p50Ms} ms`);
      }
      if (opts.uncappedRecords === undefined) continue;
      for (const p of rotation(paths, round)) {
        const proxy = proxies.get(p) as Proxy;
        const records = opts.uncappedRecords;
        const m = await measureCountingRequests(proxy, p === 'turnout' ? adminUrl : undefined, () =>
          producePerf({ topic: topics.get(p)?.uncapped as string, records, recordSizeBytes: opts.recordSize, throughput: -1, bootstrap: proxy.bootstrap, clientId: `floor-uncapped-${p}`, batchBytes: opts.batchBytes, log: quiet }),
        );
        const mb = (records * opts.recordSize) / MB;
        const run: UncappedRun = { path: p, round, cpuMsPerMb: ((m.cpuSec ?? NaN) * 1000) / mb, mbPerSec: m.value.mbPerSec, requests: m.requests };
        uncapped.push(run);
        log(`round ${round + 1} uncapped ${LABELS[p].padEnd(13)} ${run.cpuMsPerMb.toFixed(2)} ms/MB at ${run.mbPerSec.toFixed(1)} MB/s${run.requests === null ? '' : ` (${run.requests} produce requests, ${Math.round((records * opts.recordSize) / run.requests / 1024)} KiB each)`}`);
      }
    }

    const lines = [
      `steady produce at ${opts.rate} records/s of ${opts.recordSize} bytes, ${opts.seconds} s per run, ${opts.rounds} rounds, medians`,
      ...Object.entries(warmUps).map(([p, trail]) => `  warm-up runs of ${opts.warmupSeconds} s at that rate until CPU settled: ${formatTrail(LABELS[p as FloorPath], trail)}`),
      '',
      '| path | share of a core | rounds |',
      '| --- | ---: | --- |',
      ...paths.map((p) => {
        const shares = runs.filter((r) => r.path === p).map((r) => r.coreShare * 100);
        return `| ${LABELS[p]} | ${median(shares).toFixed(2)}% | ${shares.map((s) => s.toFixed(2)).join(' ')} |`;
      }),
      '',
      '| ratio | median | rounds |',
      '| --- | ---: | --- |',
      ...ratioRows(runs.map((r) => ({ path: r.path, round: r.round, cost: r.coreShare })), paths),
      ...(uncapped.length === 0 ? [] : uncappedLines(uncapped, paths)),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ rate: opts.rate, seconds: opts.seconds, rounds: opts.rounds, recordSizeBytes: opts.recordSize, warmUps, runs, ...(uncapped.length === 0 ? {} : { uncapped: { batchBytes: opts.batchBytes, records: opts.uncappedRecords, runs: uncapped } }) })}\n`);
  } finally {
    for (const p of proxies.values()) await p.stop().catch(() => undefined);
    if (opts.keepCluster !== true) await stopCluster(CLUSTER, { log }).catch((e: unknown) => log(`could not stop cluster ${CLUSTER}: ${String(e)}`));
  }
}

await main();
