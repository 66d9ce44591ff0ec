// The bench's single-cluster case: Kafka's perf tools against a cluster directly, through
// HAProxy in TCP mode (the floor of what any proxy costs, when the cluster has the HAProxy
// listener), through Kroxylicious (a Kafka-aware peer on the JVM, when asked for) and through
// one Turnout (a child process, as deployed) in front of it. Produce
// throughput (uncapped), consume throughput (everything the produce runs wrote), latency at
// moderate load (the producer perf test capped, plus the microsecond produce probe) and a
// steady moderate rate (the producer perf test capped, for the proxies' CPU), each in rounds
// that run every path back to back, the order rotating from round to round.
import { createTopics, deleteTopics } from './bench-admin.js';
import type { ConsumeRun, LatencyRun, ProduceRun } from './bench-report.js';
import type { SteadyRun } from './steady-report.js';
import { MB, median, moderateRate, PATH_LABELS, rotation, sizeThroughputRecords, warmUpConnections, warmUpPath, type BenchCaseOptions, type BenchPath } from './comparison.js';
import { startHaproxy, type HaproxyProcess } from './haproxy.js';
import { startKroxylicious, type KroxyliciousProcess } from './kroxylicious.js';
import { haproxyBootstrap, haproxyFrontends, type BrokerRoute } from './haproxy-listeners.js';
import { consumePerf, producePerf } from './perf-tools.js';
import { probeUnderLoad } from './probe-under-load.js';
import { checkThroughProxy, measureRun, type MeasuredProxy } from './proxy-run.js';
import { startTurnoutChild, type TurnoutChild } from './turnout-child.js';
import { formatTrail, warmUntilSettled, type WarmUpTrail } from './warm-until-settled.js';

/** The paths through a proxy with a JIT, which the warm-ups wait for (HAProxy has none). */
const JIT_PATHS: ReadonlySet<BenchPath> = new Set<BenchPath>(['turnout', 'turnout2', 'kroxylicious']);

/** The steady moderate rate: the producer perf test capped at `rate` records/s for `seconds`. */
export interface SteadyOptions {
  rate: number;
  seconds: number;
}

export interface SingleClusterCaseOptions extends BenchCaseOptions {
  bootstrap: string;
  /** The cluster's name, for HAProxy's frontends. */
  cluster: string;
  /** Each broker's ports behind HAProxy: the HAProxy path runs when given. */
  haproxyRoutes?: readonly BrokerRoute[];
  /** The Kroxylicious path runs when given: the classpath `prepareKroxylicious` made and the cluster's broker ids. */
  kroxylicious?: { classpath: string; brokerIds: readonly number[] };
  probeRate: number;
  /** null: no steady-rate runs. */
  steady: SteadyOptions | null;
  /** Also the path through Turnout as two processes (`processes: 2`), in the throughput runs. */
  twoProcesses: boolean;
  /** Told about the Turnout children and HAProxy as soon as they run, so that an interrupt can stop them. */
  onTurnout: (child: TurnoutChild | undefined) => void;
  onTurnout2: (child: TurnoutChild | undefined) => void;
  onHaproxy: (haproxy: HaproxyProcess | undefined) => void;
  onKroxylicious?: (kroxylicious: KroxyliciousProcess | undefined) => void;
}

/** What a proxy of the case was: its memory peak over the case and, for HAProxy, its version. */
export interface ProxyFacts {
  peakRssBytes: number;
  version?: string;
}

export interface SingleClusterRuns {
  paths: BenchPath[];
  records: number;
  consumeRecords: number;
  latencyRate: number;
  latencyRecords: number;
  steady: SteadyOptions | null;
  produce: ProduceRun[];
  consume: ConsumeRun[];
  latency: LatencyRun[];
  steadyRuns: SteadyRun[];
  proxies: { turnout: ProxyFacts; haproxy?: ProxyFacts; kroxylicious?: ProxyFacts; turnout2?: ProxyFacts };
  /** The JIT proxies' warm-up runs of the measured size, until their CPU per MB settled (none with --quick). */
  warmUps: Partial<Record<BenchPath, WarmUpTrail>>;
  /** The JIT proxies' warm-up runs at the steady rate, until their CPU per MB settled (none with --quick). */
  steadyWarmUps: Partial<Record<BenchPath, WarmUpTrail>>;
}

export async function runSingleClusterCase(opts: SingleClusterCaseOptions): Promise<SingleClusterRuns> {
  const { bootstrap, log } = opts;
  const topics = {
    warm: `bench-warm-${opts.runId}`,
    tput: `bench-tput-${opts.runId}`,
    lat: `bench-lat-${opts.runId}`,
    probe: `bench-probe-${opts.runId}`,
    steady: `bench-steady-${opts.runId}`,
  };
  await createTopics(
    bootstrap,
    Object.entries(topics).map(([kind, topic]) => ({ topic, numPartitions: kind === 'probe' ? 1 : opts.partitions, replicationFactor: opts.replicationFactor })),
  );

  let turnout: TurnoutChild | undefined;
  let turnout2: TurnoutChild | undefined;
  let haproxy: HaproxyProcess | undefined;
  let kroxylicious: KroxyliciousProcess | undefined;
  try {
    log('starting Turnout (node dist/src/cli.js start, with the allocator settings of bin/turnout) in front of the cluster');
    turnout = await startTurnoutChild([{ name: 'bench', bootstrapServers: bootstrap.split(',') }]);
    opts.onTurnout(turnout);
    const paths: BenchPath[] = ['direct', 'turnout'];
    const targets = new Map<BenchPath, { bootstrap: string; proxy?: MeasuredProxy }>([
      ['direct', { bootstrap }],
      ['turnout', { bootstrap: turnout.bootstrapServers, proxy: turnout }],
    ]);
    if (opts.haproxyRoutes !== undefined) {
      haproxy = await startHaproxy(haproxyFrontends(opts.cluster, opts.haproxyRoutes));
      opts.onHaproxy(haproxy);
      paths.splice(1, 0, 'haproxy');
      targets.set('haproxy', { bootstrap: haproxyBootstrap(opts.haproxyRoutes), proxy: haproxy });
      log(`HAProxy ${haproxy.version} pid ${haproxy.pid} at ${haproxyBootstrap(opts.haproxyRoutes)}`);
    }
    if (opts.kroxylicious !== undefined) {
      kroxylicious = await startKroxylicious(opts.kroxylicious.classpath, bootstrap, opts.kroxylicious.brokerIds);
      opts.onKroxylicious?.(kroxylicious);
      paths.splice(paths.indexOf('turnout'), 0, 'kroxylicious');
      targets.set('kroxylicious', { bootstrap: kroxylicious.bootstrapServers, proxy: kroxylicious });
      log(`Kroxylicious ${kroxylicious.version} pid ${kroxylicious.pid} at ${kroxylicious.bootstrapServers}`);
    }
    log(`Turnout pid ${turnout.pid} at ${turnout.bootstrapServers}; cluster at ${bootstrap}`);
    // Throughput runs also go through Turnout as two processes; latency and steady runs keep to the paths above.
    const throughputPaths = [...paths];
    if (opts.twoProcesses) {
      log('starting Turnout as 2 processes (processes: 2) in front of the cluster');
      turnout2 = await startTurnoutChild([{ name: 'bench', bootstrapServers: bootstrap.split(',') }], { processes: 2 });
      opts.onTurnout2(turnout2);
      throughputPaths.push('turnout2');
      targets.set('turnout2', { bootstrap: turnout2.bootstrapServers, proxy: turnout2 });
      log(`Turnout, 2 processes: primary pid ${turnout2.pid} at ${turnout2.bootstrapServers}`);
    }
    const target = (path: BenchPath): string => (targets.get(path) as { bootstrap: string }).bootstrap;
    const proxyOf = (path: BenchPath): MeasuredProxy | undefined => targets.get(path)?.proxy;
    const roundsOver = (over: readonly BenchPath[]) => async (each: (path: BenchPath, rep: number) => Promise<void>): Promise<void> => {
      for (let rep = 0; rep < opts.repeat; rep++) {
        for (const path of rotation(over, rep)) await each(path, rep);
      }
    };
    const rounds = roundsOver(paths);
    // Latency is compared with direct and HAProxy only: Kroxylicious runs in the throughput and steady rounds.
    const latencyRounds = roundsOver(paths.filter((p) => p !== 'kroxylicious'));
    const throughputRounds = roundsOver(throughputPaths);
    const label = (path: BenchPath): string => PATH_LABELS[path].padEnd(opts.twoProcesses ? 20 : 7);

    // JIT in the brokers, the tools and the proxies: a short uncounted run on each path.
    const warmRecords = opts.quick ? 5_000 : 20_000;
    let warmRate = 0;
    for (const path of throughputPaths) {
      log(`warm-up: ${warmUpConnections(opts.quick)} × ${warmRecords} records ${PATH_LABELS[path]}`);
      const rate = await warmUpPath(opts.quick, () => producePerf({ topic: topics.warm, records: warmRecords, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: target(path), clientId: `bench-warm-${path}`, log }));
      if (path === 'direct') warmRate = rate;
    }
    let records = opts.records ?? 0;
    if (records === 0) {
      const sized = sizeThroughputRecords(warmRate, opts.quick);
      records = sized.records;
      log(`${records} records per throughput run (about ${sized.seconds} s at the warm-up's ${Math.round(warmRate)} rec/s)`);
    }
    const payload = records * opts.recordSizeBytes;
    // The proxies with a JIT warm up until their CPU per MB settles (warm-until-settled.ts).
    const warmUps: Partial<Record<BenchPath, WarmUpTrail>> = {};
    if (!opts.quick) {
      for (const path of throughputPaths) {
        const proxy = proxyOf(path);
        if (proxy === undefined || !JIT_PATHS.has(path)) continue;
        const trail = await warmUntilSettled(proxy, payload / MB, () =>
          producePerf({ topic: topics.warm, records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: target(path), clientId: `bench-warm-${path}`, log }),
        );
        warmUps[path] = trail;
        log(`warmed up until settled: ${formatTrail(PATH_LABELS[path], trail)}`);
      }
    }

    const produce: ProduceRun[] = [];
    await throughputRounds(async (path, rep) => {
      const m = await measureRun(proxyOf(path), () => producePerf({ topic: topics.tput, records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: target(path), clientId: `bench-produce-${path}`, log }));
      checkThroughProxy(`produce ${path}`, PATH_LABELS[path], m.clientInBytes, payload);
      const r = m.value;
      produce.push({ path, rep, result: r, durationMs: (r.records / r.recordsPerSec) * 1000, mb: (r.records * opts.recordSizeBytes) / MB, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
      log(`produce ${label(path)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${cpuNote(m.cpuSec, r.records * opts.recordSizeBytes)}`);
    });

    // Consuming is several times faster than producing: read everything the produce runs
    // wrote, so that a consume run lasts long enough to measure.
    const consumeRecords = records * produce.length;
    const consume: ConsumeRun[] = [];
    await throughputRounds(async (path, rep) => {
      const group = `bench-consume-${path}-${rep}-${opts.runId}`;
      const m = await measureRun(proxyOf(path), () => consumePerf({ bootstrap: target(path), topic: topics.tput, records: consumeRecords, group, log }));
      checkThroughProxy(`consume ${path}`, PATH_LABELS[path], m.clientOutBytes, payload);
      const r = m.value;
      if (r.records < consumeRecords) throw new Error(`consume ${path}: the consumer perf test read ${r.records} of ${consumeRecords} records`);
      // The proxy works while records flow: CPU over the fetch time, not over the JVM's start.
      consume.push({ path, rep, result: r, durationMs: r.fetchMs, mb: r.mb, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
      log(`consume ${label(path)} #${rep + 1}: ${r.fetchMbPerSec.toFixed(2)} MB/s, ${Math.round(r.fetchRecordsPerSec)} rec/s while fetching (group join ${r.rebalanceMs} ms)${cpuNote(m.cpuSec, r.mb * MB)}`);
    });

    const directRate = median(produce.filter((r) => r.path === 'direct').map((r) => r.result.recordsPerSec));
    const latencyRate = opts.latencyRate ?? moderateRate(directRate, opts.quick);
    const latencyRecords = latencyRate * opts.latencySeconds;
    log(`latency runs at ${latencyRate} rec/s${opts.latencyRate === undefined ? ` (40% of the direct ${Math.round(directRate)} rec/s, at most ${opts.quick ? 2_000 : 5_000})` : ''}`);
    const latency: LatencyRun[] = [];
    await latencyRounds(async (path, rep) => {
      const { perf, probe } = await probeUnderLoad(
        { topic: topics.lat, records: latencyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: latencyRate, bootstrap: target(path), clientId: `bench-latency-${path}`, acks: opts.latencyAcks, log },
        { bootstrap: target(path), topic: topics.probe, ratePerSec: opts.probeRate, recordSizeBytes: opts.recordSizeBytes, acks: opts.latencyAcks === 'all' ? -1 : Number(opts.latencyAcks) },
        (latencyRecords / latencyRate) * 1000,
      );
      latency.push({ path, rep, perf, probe });
      log(
        `latency ${label(path)} #${rep + 1}: perf test p50 ${perf.p50Ms} ms, p99 ${perf.p99Ms} ms at ${Math.round(perf.recordsPerSec)} rec/s; ` +
          `probe p50 ${(probe.p50Us / 1000).toFixed(3)} ms, p99 ${(probe.p99Us / 1000).toFixed(3)} ms (${probe.count} round trips${probe.errors > 0 ? `, ${probe.errors} errors` : ''})`,
      );
    });

    const steadyRuns: SteadyRun[] = [];
    const steadyWarmUps: Partial<Record<BenchPath, WarmUpTrail>> = {};
    const steady = opts.steady;
    if (steady !== null) {
      const steadyRecords = steady.rate * steady.seconds;
      log(`steady rate: ${steady.rate} rec/s for ${steady.seconds} s (${steadyRecords} records) on each path`);
      // The steady rate's requests are small and come one at a time: a JIT compiles what they
      // run only after seeing them for a while, and V8 drops code specialised to a connection
      // once it is gone; so runs at the steady rate go through each JIT proxy until its CPU
      // settles (bench/floor/run.ts warms up the same way).
      if (!opts.quick) {
        for (const path of paths.filter((p) => JIT_PATHS.has(p))) {
          const proxy = proxyOf(path);
          if (proxy === undefined) continue;
          const trail = await warmUntilSettled(proxy, (steadyRecords * opts.recordSizeBytes) / MB, () =>
            producePerf({ topic: topics.steady, records: steadyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: steady.rate, bootstrap: target(path), clientId: `bench-steady-warm-${path}`, log }),
          );
          steadyWarmUps[path] = trail;
          log(`steady warm-up until settled: ${formatTrail(PATH_LABELS[path], trail)}`);
        }
      }
      await rounds(async (path, rep) => {
        const m = await measureRun(proxyOf(path), () =>
          producePerf({ topic: topics.steady, records: steadyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: steady.rate, bootstrap: target(path), clientId: `bench-steady-${path}`, log }),
        );
        const r = m.value;
        const durationMs = (r.records / r.recordsPerSec) * 1000;
        steadyRuns.push({ path, rep, result: r, durationMs, mb: (r.records * opts.recordSizeBytes) / MB, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
        log(`steady  ${label(path)} #${rep + 1}: ${Math.round(r.recordsPerSec)} rec/s${m.cpuSec !== undefined ? `, ${PATH_LABELS[path]} CPU ${((m.cpuSec / (durationMs / 1000)) * 100).toFixed(1)}% of a core` : ''}`);
      });
    }
    const proxies: SingleClusterRuns['proxies'] = { turnout: { peakRssBytes: turnout.meter.peakRssBytes() } };
    if (haproxy !== undefined) proxies.haproxy = { peakRssBytes: haproxy.meter.peakRssBytes(), version: haproxy.version };
    if (kroxylicious !== undefined) proxies.kroxylicious = { peakRssBytes: kroxylicious.meter.peakRssBytes(), version: kroxylicious.version };
    if (turnout2 !== undefined) proxies.turnout2 = { peakRssBytes: turnout2.meter.peakRssBytes() };
    return { paths, records, consumeRecords, latencyRate, latencyRecords, steady, produce, consume, latency, steadyRuns, proxies, warmUps, steadyWarmUps };
  } finally {
    await turnout?.stop();
    opts.onTurnout(undefined);
    await turnout2?.stop();
    opts.onTurnout2(undefined);
    await haproxy?.stop();
    opts.onHaproxy(undefined);
    await kroxylicious?.stop();
    opts.onKroxylicious?.(undefined);
    if (opts.deleteTopics) await deleteTopics(bootstrap, Object.values(topics)).catch(() => undefined);
  }
}

/** ", CPU 1.2 s, 3.4 ms/MB" for a run through a proxy. */
function cpuNote(cpuSec: number | undefined, bytes: number): string {
  return cpuSec === undefined ? '' : `, proxy CPU ${cpuSec.toFixed(2)} s, ${((cpuSec * 1000) / (bytes / MB)).toFixed(2)} ms/MB`;
}
