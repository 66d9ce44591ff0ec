// The bench's two-backend case: one Turnout (a child process, as deployed) over two clusters,
// a domain on each. One Java producer writes round-robin to a topic of each domain, so that
// Turnout splits its produce requests per backend and merges the answers; direct, the same
// records go to the same topics with one producer per cluster, and through HAProxy (when both
// clusters have the HAProxy listener) the same again, each client through HAProxy's frontends
// for its cluster. Consume reads both topics back without a group: one consumer through
// Turnout (split fetches), one per cluster directly and through HAProxy. A group cannot span
// the two (a group belongs to one domain's backend). Rounds run every path back to back, the
// order rotating.
import { createTopics, deleteTopics } from './bench-admin.js';
import { MB, median, moderateRate, PATH_LABELS, rotation, warmUpConnections, warmUpPath, type BenchCaseOptions, type BenchPath } from './comparison.js';
import { startHaproxy, type HaproxyProcess } from './haproxy.js';
import { haproxyBootstrap, haproxyFrontends, type BrokerRoute } from './haproxy-listeners.js';
import { fetchPathDelta, scrapeFetchPathCounts } from './cutover/fetch-paths.js';
import { checkThroughProxy, measureRun, type MeasuredProxy } from './proxy-run.js';
import { prepareSplitPerf, type SplitRoute } from './split-perf.js';
import { startTurnoutChild, type TurnoutChild } from './turnout-child.js';
import { formatTrail, warmUntilSettled, type WarmUpTrail } from './warm-until-settled.js';
import { summarizeTwoBackends, type SplitConsumeRun, type SplitLatencyRun, type SplitProduceRun, type TwoBackendCluster, type TwoBackendSummary } from './two-backend-report.js';

export interface TwoBackendClusterInput {
  /** Devkit cluster name, or the bootstrap servers given. */
  cluster: string;
  bootstrap: string;
  kafkaVersion: string | null;
  brokers: number;
  /** Each broker's ports behind HAProxy: the HAProxy path runs when both clusters have them. */
  haproxyRoutes?: readonly BrokerRoute[];
}

export interface TwoBackendCaseOptions extends BenchCaseOptions {
  clusters: readonly [TwoBackendClusterInput, TwoBackendClusterInput];
  /**
   * Turnout's own nodes (default: as many as both clusters have brokers, at least Turnout's
   * default of 3): each broker then has a node of its own, as Turnout's configuration
   * recommends, and a Fetch or Produce to a node has one real destination. Fewer nodes than
   * brokers put a broker of each cluster behind one node, whose requests are split and merged.
   */
  nodes?: number;
  /** Told about the Turnout child and HAProxy as soon as they run, so that an interrupt can stop them. */
  onTurnout: (child: TurnoutChild | undefined) => void;
  onHaproxy: (haproxy: HaproxyProcess | undefined) => void;
}

const BACKENDS = ['a', 'b'] as const;
const KINDS = ['warm', 'tput', 'lat'] as const;
type Kind = (typeof KINDS)[number];

/** Records per produce run: about `seconds` at the warm-up's direct rate, even (two routes), in thousands. */
export function sizeRecords(warmRatePerSec: number, quick: boolean): number {
  const sizing = quick ? { seconds: 3, min: 6_000, max: 30_000 } : { seconds: 6, min: 10_000, max: 200_000 };
  return Math.round(Math.min(sizing.max, Math.max(sizing.min, warmRatePerSec * sizing.seconds)) / 2_000) * 2_000;
}

export async function runTwoBackendCase(opts: TwoBackendCaseOptions): Promise<TwoBackendSummary> {
  const log = opts.log;
  const backends: TwoBackendCluster[] = opts.clusters.map((c, i) => ({
    backend: BACKENDS[i] as string,
    cluster: c.cluster,
    kafkaVersion: c.kafkaVersion,
    brokers: c.brokers,
    replicationFactor: Math.min(opts.replicationFactor, c.brokers),
    topicPrefix: `bench-${BACKENDS[i] as string}.`,
  }));
  const startedMs = performance.now();
  const topic = (b: TwoBackendCluster, kind: Kind): string => `${b.topicPrefix}${kind}-${opts.runId}`;
  const bootstrapOf = (i: number): string => (opts.clusters[i] as TwoBackendClusterInput).bootstrap;

  for (const [i, b] of backends.entries()) {
    await createTopics(
      bootstrapOf(i),
      KINDS.map((kind) => ({ topic: topic(b, kind), numPartitions: opts.partitions, replicationFactor: b.replicationFactor })),
    );
  }
  log('two backends: compiling SplitPerf.java');
  const perf = await prepareSplitPerf({ log });
  let turnout: TurnoutChild | undefined;
  let haproxy: HaproxyProcess | undefined;
  try {
    log('two backends: starting Turnout over both clusters, a domain on each');
    const nodes = opts.nodes ?? Math.max(3, backends.reduce((n, b) => n + b.brokers, 0));
    turnout = await startTurnoutChild(
      backends.map((b, i) => ({ name: b.backend, bootstrapServers: bootstrapOf(i).split(','), topicPrefix: b.topicPrefix })),
      { nodes },
    );
    opts.onTurnout(turnout);
    const proxy = turnout;
    log(`two backends: Turnout pid ${proxy.pid} at ${proxy.bootstrapServers}, ${nodes} nodes`);
    const adminUrl = `http://127.0.0.1:${proxy.adminPort}`;
    const fetchPaths: Record<string, number> = {};
    const producePaths: Record<string, number> = {};
    let produceRequests = 0;
    const paths: BenchPath[] = ['direct', 'turnout'];
    const haproxyRoutes = opts.clusters.map((c) => c.haproxyRoutes);
    if (haproxyRoutes.every((r) => r !== undefined)) {
      haproxy = await startHaproxy(opts.clusters.flatMap((c, i) => haproxyFrontends(`${BACKENDS[i] as string}`, c.haproxyRoutes as BrokerRoute[])));
      opts.onHaproxy(haproxy);
      paths.splice(1, 0, 'haproxy');
      log(`two backends: HAProxy ${haproxy.version} pid ${haproxy.pid}, a frontend per broker of both clusters`);
    }
    const bootstrapOn = (path: BenchPath, i: number): string =>
      path === 'direct' ? bootstrapOf(i) : path === 'haproxy' ? haproxyBootstrap(haproxyRoutes[i] as BrokerRoute[]) : proxy.bootstrapServers;
    const proxyOf = (path: BenchPath): MeasuredProxy | undefined => (path === 'turnout' ? proxy : path === 'haproxy' ? haproxy : undefined);
    const routes = (path: BenchPath, kind: Kind): SplitRoute[] => backends.map((b, i) => ({ topic: topic(b, kind), bootstrap: bootstrapOn(path, i) }));
    const rounds = async (each: (path: BenchPath, rep: number) => Promise<void>): Promise<void> => {
      for (let rep = 0; rep < opts.repeat; rep++) {
        for (const path of rotation(paths, rep)) await each(path, rep);
      }
    };
    const label = (path: BenchPath): string => PATH_LABELS[path].padEnd(7);

    const warmRecords = opts.quick ? 4_000 : 10_000;
    let warmRate = 0;
    for (const path of paths) {
      log(`two backends: warm-up ${warmUpConnections(opts.quick)} × ${warmRecords} records ${PATH_LABELS[path]}`);
      const rate = await warmUpPath(opts.quick, () => perf.produce({ routes: routes(path, 'warm'), records: warmRecords, recordSizeBytes: opts.recordSizeBytes, throughput: -1, acks: 'all' }));
      if (path === 'direct') warmRate = rate;
    }
    const records = opts.records ?? sizeRecords(warmRate, opts.quick);
    const payload = records * opts.recordSizeBytes;
    log(`two backends: ${records} records per produce run (warm-up direct ${Math.round(warmRate)} rec/s)`);
    // V8 goes on optimising Turnout's multi-backend path for some 200,000 records (warm-until-settled.ts).
    let turnoutWarmUp: WarmUpTrail | undefined;
    if (!opts.quick) {
      turnoutWarmUp = await warmUntilSettled(proxy, payload / MB, () => perf.produce({ routes: routes('turnout', 'warm'), records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, acks: 'all' }));
      log(`two backends: warmed up until settled: ${formatTrail('Turnout', turnoutWarmUp)}`);
    }

    const produce: SplitProduceRun[] = [];
    await rounds(async (path, rep) => {
      const before = path === 'turnout' ? await scrapeFetchPathCounts(adminUrl) : null;
      const m = await measureRun(proxyOf(path), () => perf.produce({ routes: routes(path, 'tput'), records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, acks: 'all' }));
      if (before !== null) {
        const counted = fetchPathDelta(before, await scrapeFetchPathCounts(adminUrl));
        for (const [p, n] of Object.entries(counted.turnout_multi_produce_total ?? {})) producePaths[p] = (producePaths[p] ?? 0) + n;
        produceRequests += counted.turnout_requests_total?.Produce ?? 0;
      }
      checkThroughProxy(`two backends: produce ${path}`, PATH_LABELS[path], m.clientInBytes, payload);
      const r = m.value;
      if (r.errors > 0) throw new Error(`two backends: produce ${path} #${rep + 1}: ${r.errors} of ${r.records} sends failed`);
      produce.push({ path, rep, result: r, durationMs: r.elapsedMs, mb: (r.records * opts.recordSizeBytes) / MB, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
      log(`two backends: produce ${label(path)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s, p50 ${(r.p50Us / 1000).toFixed(1)} ms, p99 ${(r.p99Us / 1000).toFixed(1)} ms (${r.clients} producer(s))`);
    });

    const consumeRecords = records * produce.length;
    const consume: SplitConsumeRun[] = [];
    await rounds(async (path, rep) => {
      const before = path === 'turnout' ? await scrapeFetchPathCounts(adminUrl) : null;
      const m = await measureRun(proxyOf(path), () => perf.consume(routes(path, 'tput')));
      if (before !== null) {
        const counted = fetchPathDelta(before, await scrapeFetchPathCounts(adminUrl)).turnout_multi_fetch_total ?? {};
        for (const [p, n] of Object.entries(counted)) fetchPaths[p] = (fetchPaths[p] ?? 0) + n;
      }
      checkThroughProxy(`two backends: consume ${path}`, PATH_LABELS[path], m.clientOutBytes, consumeRecords * opts.recordSizeBytes);
      const r = m.value;
      if (r.records !== consumeRecords) throw new Error(`two backends: consume ${path} #${rep + 1} read ${r.records} records, the produce runs wrote ${consumeRecords}`);
      consume.push({ path, rep, result: r, durationMs: r.elapsedMs, mb: r.bytes / MB, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
      log(`two backends: consume ${label(path)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s (${r.clients} consumer(s))`);
    });

    const directRate = median(produce.filter((r) => r.path === 'direct').map((r) => r.result.recordsPerSec));
    const latencyRate = opts.latencyRate ?? moderateRate(directRate, opts.quick);
    const latencyRecords = Math.max(2, Math.round((latencyRate * opts.latencySeconds) / 2) * 2);
    log(`two backends: latency runs at ${latencyRate} rec/s, acks=${opts.latencyAcks}`);
    const latency: SplitLatencyRun[] = [];
    await rounds(async (path, rep) => {
      const r = await perf.produce({ routes: routes(path, 'lat'), records: latencyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: latencyRate, acks: opts.latencyAcks });
      latency.push({ path, rep, result: r });
      log(`two backends: latency ${label(path)} #${rep + 1}: p50 ${(r.p50Us / 1000).toFixed(3)} ms, p99 ${(r.p99Us / 1000).toFixed(3)} ms at ${Math.round(r.recordsPerSec)} rec/s${r.errors > 0 ? `, ${r.errors} errors` : ''}`);
    });

    log(`two backends: measured in ${Math.round((performance.now() - startedMs) / 1000)} s`);
    return summarizeTwoBackends(
      {
        backends,
        partitions: opts.partitions,
        records,
        consumeRecords,
        recordSizeBytes: opts.recordSizeBytes,
        repeat: opts.repeat,
        acks: 'all',
        latencyAcks: opts.latencyAcks,
        latencyRate,
        latencyRecords,
        ...(haproxy !== undefined ? { haproxyVersion: haproxy.version } : {}),
        nodes,
        ...(turnoutWarmUp !== undefined ? { turnoutWarmUp } : {}),
      },
      produce,
      consume,
      latency,
      {
        turnoutPeakRssMb: proxy.meter.peakRssBytes() / MB,
        ...(haproxy !== undefined ? { haproxyPeakRssMb: haproxy.meter.peakRssBytes() / MB } : {}),
      },
      fetchPaths,
      { paths: producePaths, requests: produceRequests },
    );
  } finally {
    await turnout?.stop().catch(() => undefined);
    opts.onTurnout(undefined);
    await haproxy?.stop().catch(() => undefined);
    opts.onHaproxy(undefined);
    await perf.dispose();
    if (opts.deleteTopics) {
      for (const [i, b] of backends.entries()) await deleteTopics(bootstrapOf(i), KINDS.map((kind) => topic(b, kind))).catch(() => undefined);
    }
  }
}
