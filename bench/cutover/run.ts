// `npm run bench:cutover`: a domain moved to its migration target and back while a producer
// writes at a steady rate and a consumer group reads. Two clusters (started here with the
// devkit, or given), one Turnout child in front of both, the domain on the source. The traffic
// is the acceptance's harness (test/integration/cutover-traffic.ts): Kafka's
// VerifiableProducer, idempotent, 5 in flight, at --rate records/s, and a read_committed group
// (librdkafka by default: its record timestamps give the VerifiableProducer's send times, so
// its produce latencies). Reported: each hold and the produce latency p50/p99/max of the
// records in flight during it; the fetch throughput of kafka-consumer-perf-test through
// Turnout before the domain moves (one segment) and after it moved and came back (three
// segments: translated reads); the harness's counts. The last line is one JSON object.
//
// Until this build has the cutover (POST /v1/cutovers), the run stops after the fetch before
// the first cutover, says so, and exits 1.
import { Command, Option } from 'commander';
import { positiveInt } from '../cli-options.js';
import { startCluster, stopCluster, type ClusterInfo } from '../../src/devkit/index.js';
import { CutoverApi, CutoverApiMissingError, holdWindow, runCutover, type CutoverTimeline } from '../../src/admin/cutover-client.js';
import { formatTrafficReport, startCutoverTraffic, type GroupKind, type RunningTraffic, type TrafficReport } from '../../test/integration/cutover-traffic.js';
import { createTopics, deleteTopics } from '../bench-admin.js';
import { consumePerf, producePerf } from '../perf-tools.js';
import { BENCH_DOMAIN, BENCH_DOMAIN_PREFIX, startCutoverTurnout, type CutoverTurnout } from './cutover-turnout.js';
import { cutoverJsonLine, formatCutoverReport, type CutoverBenchSummary, type FetchFigures, type HoldFigures } from './cutover-report.js';

const SOURCE_CLUSTER = 'bench-cut-s';
const TARGET_CLUSTER = 'bench-cut-t';
const CLUSTER_HEAP_MB = 384;

interface Options {
  rate: number;
  partitions: number;
  members: number;
  group: GroupKind;
  phaseSeconds: number;
  fillRecords: number;
  recordSize: number;
  sourceBootstrap?: string;
  targetBootstrap?: string;
  sourceKafkaVersion: string;
  targetKafkaVersion: string;
  keepClusters?: boolean;
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

function fetchFigures(r: { records: number; fetchMbPerSec: number; fetchRecordsPerSec: number }): FetchFigures {
  return { records: r.records, mbPerSec: r.fetchMbPerSec, recordsPerSec: r.fetchRecordsPerSec };
}

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
  const runId = Date.now().toString(36);
  const clusters: BenchCluster[] = [];
  let turnout: CutoverTurnout | undefined;
  let traffic: RunningTraffic | undefined;
  const topics = { traffic: `${BENCH_DOMAIN_PREFIX}traffic-${runId}`, fill: `${BENCH_DOMAIN_PREFIX}fill-${runId}` };
  const cleanup = async (): Promise<void> => {
    await traffic?.abort().catch(() => undefined);
    await turnout?.child.stop().catch(() => undefined);
    for (const c of clusters) {
      if (c.owned !== null && opts.keepClusters !== true) await stopCluster(c.owned, { log: progress }).catch((e: unknown) => progress(`could not stop ${c.owned}: ${String(e)}`));
      else await deleteTopics(c.bootstrap, [topics.traffic, topics.fill]).catch(() => undefined);
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
    turnout = await startCutoverTurnout(source.bootstrap, target.bootstrap);
    const bootstrap = turnout.child.bootstrapServers;
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

    const fill = async (what: string): Promise<void> => {
      progress(`writing ${opts.fillRecords} records of ${opts.recordSize} bytes to ${topics.fill} (${what})`);
      await producePerf({ topic: topics.fill, records: opts.fillRecords, recordSizeBytes: opts.recordSize, throughput: -1, bootstrap, clientId: `bench-fill-${what}`, log: progress });
    };
    const fetch = async (what: string, records: number): Promise<FetchFigures> =>
      fetchFigures(await consumePerf({ topic: topics.fill, records, group: `${BENCH_DOMAIN_PREFIX}fetch-${what}-${runId}`, bootstrap, log: progress }));

    await fill('before');
    const fetchBefore = await fetch('before', opts.fillRecords);
    await sleep(opts.phaseSeconds * 1_000);

    const api = new CutoverApi(turnout.adminUrl, turnout.writeHeaders);
    let stoppedShort: string | null = null;
    const timelines: Array<{ to: string; timeline: CutoverTimeline }> = [];
    let fetchAfter: FetchFigures | null = null;
    try {
      await api.ensureAvailable(BENCH_DOMAIN);
    } catch (err) {
      if (!(err instanceof CutoverApiMissingError)) throw err;
      stoppedShort = err.message;
      progress(stoppedShort);
    }
    if (stoppedShort === null) {
      for (const [to, what] of [['target', 'moved'], ['source', 'back']] as const) {
        progress(`moving ${BENCH_DOMAIN} to the ${to}`);
        const timeline = await runCutover(api, { domain: BENCH_DOMAIN, to });
        progress(`cutover to the ${to}: ${timeline.final.phase} (phases ${timeline.seen.map((s) => s.phase).join(' → ')})`);
        timelines.push({ to, timeline });
        await fill(what);
        await sleep(opts.phaseSeconds * 1_000);
      }
      fetchAfter = await fetch('after', opts.fillRecords * 3);
    }

    const running = traffic;
    traffic = undefined;
    const report = await running.stop();
    for (const line of formatTrafficReport(report)) progress(line);
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
        recordSizeBytes: opts.recordSize,
      },
      holds: stoppedShort === null ? timelines.map((h) => holdFigures(h.timeline, h.to, report)) : null,
      fetchBefore,
      fetchAfter,
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
  .description('a domain moved to its migration target and back under steady traffic: hold time, produce latency during the hold, fetch throughput before and after, and the traffic harness counts; ends with one JSON line')
  .option('--rate <n>', 'records/s of the VerifiableProducer', positiveInt('--rate'), 1_000)
  .option('--partitions <n>', 'partitions of the domain topics', positiveInt('--partitions'), 6)
  .addOption(new Option('--group <kind>', 'client of the consumer group (a java one gives no produce latencies: its records carry no timestamps)').choices(['librdkafka', 'kafkajs', 'java-classic', 'java-consumer']).default('librdkafka'))
  .option('--members <n>', 'members of the consumer group', positiveInt('--members'), 2)
  .option('--phase-seconds <n>', 'steady traffic before the first cutover, between the cutovers and after the last', positiveInt('--phase-seconds'), 10)
  .option('--fill-records <n>', 'records the fetch measurements read per segment', positiveInt('--fill-records'), 50_000)
  .option('--record-size <bytes>', 'size of those records', positiveInt('--record-size'), 1_024)
  .option('--source-bootstrap <servers>', `a running source cluster instead of starting "${SOURCE_CLUSTER}"`)
  .option('--target-bootstrap <servers>', `a running target cluster instead of starting "${TARGET_CLUSTER}"`)
  .option('--source-kafka-version <v>', `Kafka version of "${SOURCE_CLUSTER}"`, '3.9.1')
  .option('--target-kafka-version <v>', `Kafka version of "${TARGET_CLUSTER}"`, '4.1.1')
  .option('--keep-clusters', 'leave the clusters the bench started running')
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench:cutover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
