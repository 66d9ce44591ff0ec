// `npm run bench:cutover`: a domain moved to its migration target and back while a producer
// writes at a steady rate and a consumer group reads. Two clusters (started here with the
// devkit, or given), one Turnout child in front of both, the domain on the source. The traffic
// is the acceptance's harness (test/integration/cutover-traffic.ts): Kafka's
// VerifiableProducer, idempotent, 5 in flight, at --rate records/s, and a read_committed group
// (librdkafka by default: its record timestamps give the VerifiableProducer's send times, so
// its produce latencies). Reported: each hold and the produce latency p50/p99/max of the
// records in flight during it; the harness's counts; then, once the traffic has stopped, the
// fetch comparison (fetch-rounds.ts): the moved domain's fill topic (three segments: source,
// target, source again, the last two shifted) read against a topic of as many records in a
// domain that stays on the source (no chain), in interleaved rounds, both topped up first to
// --fetch-records so that each read lasts seconds; each read's throughput (the reader's fetch
// phase, its group join left out), Turnout's CPU time per MB read (/proc/<pid>/stat) and its
// Fetch paths. The last line is one JSON object.
//
// Until this build has the cutover (POST /v1/cutovers), the run stops before the first
// cutover, says so, and exits 1.
import { Command, Option } from 'commander';
import { positiveInt } from '../cli-options.js';
import { startCluster, stopCluster, type ClusterInfo } from '../../src/devkit/index.js';
import { CutoverApi, CutoverApiMissingError, holdWindow, runCutover, type CutoverTimeline } from '../../src/admin/cutover-client.js';
import { formatTrafficReport, startCutoverTraffic, type GroupKind, type RunningTraffic, type TrafficReport } from '../../test/integration/cutover-traffic.js';
import { createTopics, deleteTopics } from '../bench-admin.js';
import { consumePerf, producePerf } from '../perf-tools.js';
import { BENCH_DOMAIN, BENCH_DOMAIN_PREFIX, STAYING_DOMAIN_PREFIX, startCutoverTurnout, type CutoverTurnout } from './cutover-turnout.js';
import { cutoverJsonLine, formatCutoverReport, type CutoverBenchSummary, type FetchFigures, type FetchRound, type HoldFigures } from './cutover-report.js';
import type { ConsumerPerfResult } from '../perf-output.js';
import { fetchPathDelta, formatFetchPaths, scrapeFetchPathCounts, type FetchPathCounts } from './fetch-paths.js';
import { runFetchRounds } from './fetch-rounds.js';

const SOURCE_CLUSTER = 'bench-cut-s';
const TARGET_CLUSTER = 'bench-cut-t';
const CLUSTER_HEAP_MB = 384;
/** Rounds of the fetch comparison at least: fewer give no median worth the name. */
const MIN_FETCH_ROUNDS = 4;

interface Options {
  rate: number;
  partitions: number;
  members: number;
  group: GroupKind;
  phaseSeconds: number;
  fillRecords: number;
  fetchRecords: number;
  recordSize: number;
  fetchRounds: number;
  sourceBootstrap?: string;
  targetBootstrap?: string;
  sourceKafkaVersion: string;
  targetKafkaVersion: string;
  keepClusters?: boolean;
  cpuProfDir?: string;
  control?: boolean;
}

function progress(line: string): void {
  process.stderr.write(`[cutover-bench] ${line}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A cluster the bench starts, or one given by its bootstrap servers. */
interface BenchCluster {
  bootstrap: string;
  version: string | null;
  /** Its devkit name when the bench started it (and stops it). */
  owned: string | null;
}

async function cluster(name: string, given: string | undefined, version: string): Promise<BenchCluster> {
  if (given !== undefined) return { bootstrap: given, version: null, owned: null };
  progress(`starting cluster ${name} (1 broker, Kafka ${version})`);
  const info: ClusterInfo = await startCluster({ name, brokers: 1, version, heapMb: CLUSTER_HEAP_MB, log: progress });
  return { bootstrap: info.bootstrapServers, version: info.version, owned: name };
}

/** kafka-consumer-perf-test's fetch-phase figures (its join left out) and what Turnout spent meanwhile. */
function fetchFigures(r: ConsumerPerfResult, turnoutCpuMs: number, sentMb: number, fromBrokersMb: number, paths: FetchPathCounts): FetchFigures {
  return { records: r.records, mb: r.mb, fetchMs: r.fetchMs, mbPerSec: r.fetchMbPerSec, recordsPerSec: r.fetchRecordsPerSec, turnoutCpuMs, sentMb, fromBrokersMb, paths };
}

const MB = 2 ** 20;

function holdFigures(t: CutoverTimeline, to: string, report: TrafficReport): HoldFigures {
  const w = holdWindow(t);
  const during = report.latency.during(w.fromMs, w.toMs);
  const [p50, p99, max] = report.latency.percentilesDuring(w.fromMs, w.toMs, [0.5, 0.99, 1]) ?? [];
  return {
    to,
    phase: t.final.phase,
    holdMs: w.toMs - w.fromMs,
    latency: p50 === undefined ? null : { records: during.records, p50Ms: p50, p99Ms: p99 as number, maxMs: max as number },
  };
}

async function main(opts: Options): Promise<void> {
  if (opts.fetchRounds < MIN_FETCH_ROUNDS) throw new Error(`--fetch-rounds must be at least ${MIN_FETCH_ROUNDS}`);
  const runId = Date.now().toString(36);
  const clusters: BenchCluster[] = [];
  let turnout: CutoverTurnout | undefined;
  let traffic: RunningTraffic | undefined;
  // --control: the "translated" side's topic is in the staying domain, written in the same
  // pieces at the same moments, never chained: two untranslated reads, for the comparison's
  // spread and for what two such topics differ by on their own.
  const fillPrefix = opts.control === true ? `${STAYING_DOMAIN_PREFIX}control-` : BENCH_DOMAIN_PREFIX;
  const topics = { traffic: `${BENCH_DOMAIN_PREFIX}traffic-${runId}`, fill: `${fillPrefix}fill-${runId}`, untranslated: `${STAYING_DOMAIN_PREFIX}fill-${runId}` };
  // The fill topic's segments: fillRecords on the source, a tenth of that on the target (enough
  // to shift the third segment's offsets), fillRecords on the source again. The untranslated
  // topic holds as many records, on the source.
  const onTarget = Math.max(1, Math.round(opts.fillRecords / 10));
  const chainRecords = 2 * opts.fillRecords + onTarget;
  // Both topics are topped up to this once the traffic has stopped (the fill topic's third
  // segment, on the source), so that each read lasts seconds and its start does not weigh.
  const fetchRecords = Math.max(opts.fetchRecords, chainRecords);
  const cleanup = async (): Promise<void> => {
    await traffic?.abort().catch(() => undefined);
    await turnout?.child.stop().catch(() => undefined);
    for (const c of clusters) {
      if (c.owned !== null && opts.keepClusters !== true) await stopCluster(c.owned, { log: progress }).catch((e: unknown) => progress(`could not stop ${c.owned}: ${String(e)}`));
      else await deleteTopics(c.bootstrap, Object.values(topics)).catch(() => undefined);
    }
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const [source, target] = await Promise.all([
      cluster(SOURCE_CLUSTER, opts.sourceBootstrap, opts.sourceKafkaVersion),
      cluster(TARGET_CLUSTER, opts.targetBootstrap, opts.targetKafkaVersion),
    ]);
    clusters.push(source, target);
    // The target holds the domain's topics too (with at least as many partitions), as a cutover's preflight wants.
    for (const c of clusters) {
      await createTopics(c.bootstrap, [topics.traffic, topics.fill].map((topic) => ({ topic, numPartitions: opts.partitions, replicationFactor: 1 })));
    }
    await createTopics(source.bootstrap, [{ topic: topics.untranslated, numPartitions: opts.partitions, replicationFactor: 1 }]);
    turnout = await startCutoverTurnout(source.bootstrap, target.bootstrap, opts.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`]);
    const bootstrap = turnout.child.bootstrapServers;
    const { adminUrl } = turnout;
    const turnoutChild = turnout.child;
    progress(`Turnout pid ${turnout.child.pid} at ${bootstrap}; domain ${BENCH_DOMAIN} on the source, the target its migration target`);
    traffic = await startCutoverTraffic({
      instances: [bootstrap],
      topic: topics.traffic,
      partitions: opts.partitions,
      namePrefix: BENCH_DOMAIN_PREFIX,
      verifiableProducer: { ratePerSec: opts.rate },
      groups: [{ kind: opts.group, members: opts.members }],
      log: progress,
    });
    await traffic.waitForProgress(opts.rate);

    const fill = async (topic: string, records: number, what: string): Promise<void> => {
      progress(`writing ${records} records of ${opts.recordSize} bytes to ${topic} (${what})`);
      await producePerf({ topic, records, recordSizeBytes: opts.recordSize, throughput: -1, bootstrap, clientId: `bench-fill-${what}`, log: progress });
    };

    await fill(topics.untranslated, chainRecords, 'untranslated');
    await fill(topics.fill, opts.fillRecords, 'before');
    await sleep(opts.phaseSeconds * 1_000);

    const api = new CutoverApi(turnout.adminUrl, turnout.writeHeaders);
    let stoppedShort: string | null = null;
    const timelines: Array<{ to: string; timeline: CutoverTimeline }> = [];
    try {
      await api.ensureAvailable(BENCH_DOMAIN);
    } catch (err) {
      if (!(err instanceof CutoverApiMissingError)) throw err;
      stoppedShort = err.message;
      progress(stoppedShort);
    }
    if (stoppedShort === null) {
      for (const [to, what, records] of [['target', 'moved', onTarget], ['source', 'back', opts.fillRecords]] as const) {
        progress(`moving ${BENCH_DOMAIN} to the ${to}`);
        const timeline = await runCutover(api, { domain: BENCH_DOMAIN, to });
        progress(`cutover to the ${to}: ${timeline.final.phase} (phases ${timeline.seen.map((s) => s.phase).join(' → ')})`);
        timelines.push({ to, timeline });
        await fill(topics.fill, records, what);
        await sleep(opts.phaseSeconds * 1_000);
      }
    }

    const running = traffic;
    traffic = undefined;
    const report = await running.stop();
    for (const line of formatTrafficReport(report)) progress(line);
    // Without a cutover nothing is translated: there is nothing to compare.
    let fetchRounds: FetchRound[] = [];
    if (stoppedShort === null) {
      if (fetchRecords > chainRecords) {
        await fill(topics.fill, fetchRecords - chainRecords, 'top-up');
        await fill(topics.untranslated, fetchRecords - chainRecords, 'top-up');
      }
      progress(`fetch comparison: ${opts.fetchRounds} rounds after a warm-up, ${fetchRecords} records per read`);
      fetchRounds = await runFetchRounds({
        translated: { topic: topics.fill, groupPrefix: opts.control === true ? STAYING_DOMAIN_PREFIX : BENCH_DOMAIN_PREFIX },
        untranslated: { topic: topics.untranslated, groupPrefix: STAYING_DOMAIN_PREFIX },
        records: fetchRecords,
        rounds: opts.fetchRounds,
        read: async (side, group, records) => {
          const before = await scrapeFetchPathCounts(adminUrl);
          const bytes0 = await turnoutChild.bytes();
          const cpu0 = turnoutChild.meter.cpuSeconds();
          // Monotonic µs, the clock of a V8 CPU profile's timestamps: a profile can be cut to the read.
          const fromUs = process.hrtime.bigint() / 1_000n;
          const perf = await consumePerf({ topic: side.topic, records, group, bootstrap, log: progress });
          const cpuMs = (turnoutChild.meter.cpuSeconds() - cpu0) * 1_000;
          if (opts.cpuProfDir !== undefined) progress(`${side.topic}: read from ${fromUs} to ${process.hrtime.bigint() / 1_000n} µs (monotonic)`);
          const bytes1 = await turnoutChild.bytes();
          const mbOf = (counter: string): number => ((bytes1[counter] ?? 0) - (bytes0[counter] ?? 0)) / MB;
          const sentMb = mbOf('client/out');
          const fromBrokersMb = mbOf('upstream/in');
          const paths = fetchPathDelta(before, await scrapeFetchPathCounts(adminUrl));
          progress(`${side.topic}: ${perf.mb.toFixed(0)} MB in ${perf.fetchMs} ms (group join ${perf.rebalanceMs} ms), ${fromBrokersMb.toFixed(1)} MB from brokers, ${sentMb.toFixed(1)} MB sent, Turnout CPU ${cpuMs.toFixed(0)} ms; ${formatFetchPaths(paths)}`);
          return fetchFigures(perf, cpuMs, sentMb, fromBrokersMb, paths);
        },
        log: progress,
      });
    }
    const t = report.totals;
    const summary: CutoverBenchSummary = {
      config: {
        ratePerSec: opts.rate,
        partitions: opts.partitions,
        source: source.owned ?? source.bootstrap,
        target: target.owned ?? target.bootstrap,
        sourceVersion: source.version,
        targetVersion: target.version,
        fillRecords: opts.fillRecords,
        fetchRecords,
        recordSizeBytes: opts.recordSize,
        fetchRounds: opts.fetchRounds,
        control: opts.control === true,
      },
      holds: stoppedShort === null ? timelines.map((h) => holdFigures(h.timeline, h.to, report)) : null,
      fetchRounds,
      traffic: {
        lost: t.lost,
        duplicated: t.duplicated,
        reordered: t.reordered,
        rebalances: t.rebalances,
        clientErrors: t.clientErrors,
        otherFaults: t.mismatched + t.abortedSeen + t.unacknowledged + t.commitsOff + t.ackConflicts,
        acked: report.producers.reduce((n, p) => n + p.acked, 0),
      },
      stoppedShort,
    };
    process.stdout.write(`${formatCutoverReport(summary).join('\n')}\n${cutoverJsonLine(summary)}\n`);
    if (stoppedShort !== null) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

const program = new Command()
  .name('bench:cutover')
  .description('a domain moved to its migration target and back under steady traffic: hold time, produce latency during the hold, the traffic harness counts, and translated against untranslated fetch throughput in interleaved rounds; ends with one JSON line')
  .option('--rate <n>', 'records/s of the VerifiableProducer', positiveInt('--rate'), 1_000)
  .option('--partitions <n>', 'partitions of the domain topics', positiveInt('--partitions'), 6)
  .addOption(new Option('--group <kind>', 'client of the consumer group (a java one gives no produce latencies: its records carry no timestamps)').choices(['librdkafka', 'kafkajs', 'java-classic', 'java-consumer']).default('librdkafka'))
  .option('--members <n>', 'members of the consumer group', positiveInt('--members'), 2)
  .option('--phase-seconds <n>', 'steady traffic before the first cutover, between the cutovers and after the last', positiveInt('--phase-seconds'), 10)
  .option('--fill-records <n>', 'records of the fill topic\'s first and third segments (its second gets a tenth of that); the untranslated topic gets as many in all', positiveInt('--fill-records'), 50_000)
  .option('--fetch-records <n>', 'records each read of the fetch comparison takes: both fill topics are topped up to it after the traffic (the fill topic\'s third segment), so that a read lasts seconds; at least what the fills hold', positiveInt('--fetch-records'), 300_000)
  .option('--fetch-rounds <n>', `rounds of the fetch comparison after its warm-up (at least ${MIN_FETCH_ROUNDS}; an even number reads each order as often)`, positiveInt('--fetch-rounds'), 6)
  .option('--record-size <bytes>', 'size of those records', positiveInt('--record-size'), 1_024)
  .option('--source-bootstrap <servers>', `a running source cluster instead of starting "${SOURCE_CLUSTER}"`)
  .option('--target-bootstrap <servers>', `a running target cluster instead of starting "${TARGET_CLUSTER}"`)
  .option('--source-kafka-version <v>', `Kafka version of "${SOURCE_CLUSTER}"`, '3.9.1')
  .option('--target-kafka-version <v>', `Kafka version of "${TARGET_CLUSTER}"`, '4.1.1')
  .option('--control', 'a control run: the "translated" read is of a second untranslated topic, written like the fill topic but never chained')
  .option('--cpu-prof-dir <dir>', 'write a V8 CPU profile of the Turnout child there (when it stops)')
  .option('--keep-clusters', 'leave the clusters the bench started running')
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench:cutover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
