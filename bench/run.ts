// `npm run bench`: Kafka's own perf tools against a 3-broker cluster, directly and through
// Turnout, in one run (single-cluster-case.ts). Produce throughput (kafka-producer-perf-test,
// uncapped), consume throughput (kafka-consumer-perf-test) and latency at moderate load (the
// producer perf test capped, plus a microsecond-resolution produce probe), each run for both
// paths back to back, alternating which goes first, repeated. Then the secured case
// (secure-case.ts): the same tools through a plaintext Turnout, one with TLS and SASL SCRAM,
// and one with TLS, SCRAM and ACLs, in front of the same cluster. Then the two-backend case
// (two-backend-case.ts): one Turnout over two clusters against the same workload split
// across them by hand. With --tracing, then the tracing case (tracing-case.ts): Turnouts with
// tracing off, at 1% and at 100% sampling. Prints a table, then exactly one JSON line.
//
// Turnout runs as a child process (`turnout start`), as deployed: it then shares no event
// loop, heap or GC with this driver (which runs the probe), and its CPU time is its own.
import { availableParallelism, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { positiveInt } from './cli-options.js';
import { DEFAULT_KAFKA_VERSION, startCluster, stopCluster } from '../src/devkit/index.js';
import { brokerCount } from './bench-admin.js';
import { benchJsonLine, formatBenchReport, formatMachine, summarizeBench, type BenchConfig } from './bench-report.js';
import type { TurnoutChild } from './turnout-child.js';
import { runSecureCase } from './secure-case.js';
import { formatSecureReport, type SecureSummary } from './secure-report.js';
import { runSingleClusterCase, type SingleClusterRuns } from './single-cluster-case.js';
import { runTracingCase } from './tracing-case.js';
import { formatTracingReport, type TracingSummary } from './tracing-report.js';
import { runTwoBackendCase } from './two-backend-case.js';
import type { TwoBackendSummary } from './two-backend-report.js';

const BENCH_CLUSTER = 'bench';
/** The second cluster of the two-backend case. */
const SECOND_CLUSTER = 'bench-b';
/** Small: it only has to hold the two-backend case's share of the records. */
const SECOND_HEAP_MB = 384;

interface BenchOptions {
  records?: number;
  recordSize: number;
  repeat?: number;
  quick?: boolean;
  bootstrap?: string;
  kafkaVersion: string;
  partitions: number;
  replicationFactor?: number;
  latencyRate?: number;
  latencySeconds?: number;
  probeRate: number;
  latencyAcks: '1' | 'all';
  keepCluster?: boolean;
  twoBackends: boolean;
  secondBootstrap?: string;
  secondKafkaVersion?: string;
  secondBrokers: number;
  twoBackendRepeat?: number;
  secure: boolean;
  onlySecure?: boolean;
  secureRepeat?: number;
  tracing?: boolean;
  onlyTracing?: boolean;
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(opts: BenchOptions): Promise<void> {
  const quick = opts.quick === true;
  const onlySecure = opts.onlySecure === true;
  const onlyTracing = opts.onlyTracing === true;
  // Only one case: no direct runs, no two-backend case.
  const onlyOne = onlySecure || onlyTracing;
  const repeat = opts.repeat ?? (quick ? 1 : 3);
  const latencySeconds = opts.latencySeconds ?? (quick ? 4 : 10);
  const ownCluster = opts.bootstrap === undefined;
  const runId = Date.now().toString(36);
  const loadAtStart = loadavg()[0] as number;
  let turnout: TurnoutChild | undefined;
  let secureTurnouts: TurnoutChild[] = [];
  let tracingTurnouts: TurnoutChild[] = [];
  let twoBackendTurnout: TurnoutChild | undefined;
  let clusterUp = false;
  let bootstrap = opts.bootstrap ?? '';
  const ownSecond = opts.twoBackends && !onlyOne && opts.secondBootstrap === undefined;
  let secondUp = false;
  let secondBootstrap = opts.secondBootstrap ?? '';
  let secondVersion: string | null = null;
  // A cluster the bench does not stop keeps its data: each case then deletes its topics.
  const keepsTopics = opts.keepCluster === true || !ownCluster;

  const cleanup = async (): Promise<void> => {
    await turnout?.stop().catch(() => undefined);
    turnout = undefined;
    for (const child of secureTurnouts) await child.stop().catch(() => undefined);
    secureTurnouts = [];
    for (const child of tracingTurnouts) await child.stop().catch(() => undefined);
    tracingTurnouts = [];
    await twoBackendTurnout?.stop().catch(() => undefined);
    twoBackendTurnout = undefined;
    if (ownSecond && secondUp && opts.keepCluster !== true) {
      progress(`stopping cluster ${SECOND_CLUSTER}`);
      await stopCluster(SECOND_CLUSTER, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${SECOND_CLUSTER}: ${String(e)}`));
      secondUp = false;
    }
    if (ownCluster && clusterUp && opts.keepCluster !== true) {
      progress(`stopping cluster ${BENCH_CLUSTER}`);
      await stopCluster(BENCH_CLUSTER, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${BENCH_CLUSTER}: ${String(e)}`));
      clusterUp = false;
    }
  };
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress('interrupted: cleaning up (again to exit at once)');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let kafkaVersion: string | null = null;
    // Both clusters start together; each is recorded as up as soon as it is, for the cleanup.
    const starts: Array<Promise<void>> = [];
    if (ownCluster) {
      progress(`starting cluster ${BENCH_CLUSTER} (3 brokers, Kafka ${opts.kafkaVersion})`);
      starts.push(
        startCluster({ name: BENCH_CLUSTER, brokers: 3, racks: ['az-a', 'az-b', 'az-c'], version: opts.kafkaVersion, log: progress }).then((info) => {
          clusterUp = true;
          bootstrap = info.bootstrapServers;
          kafkaVersion = info.version;
        }),
      );
    }
    if (ownSecond) {
      const version = opts.secondKafkaVersion ?? opts.kafkaVersion;
      progress(`starting cluster ${SECOND_CLUSTER} (${opts.secondBrokers} broker(s), Kafka ${version}) for the two-backend case`);
      starts.push(
        startCluster({ name: SECOND_CLUSTER, brokers: opts.secondBrokers, version, heapMb: SECOND_HEAP_MB, log: progress }).then((info) => {
          secondUp = true;
          secondBootstrap = info.bootstrapServers;
          secondVersion = info.version;
        }),
      );
    }
    const failed = (await Promise.allSettled(starts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const replicationFactor = opts.replicationFactor ?? Math.min(3, await brokerCount(bootstrap));

    // What the single-cluster and the secured case share: the same cluster, records and load.
    const caseOptions = {
      bootstrap,
      runId,
      quick,
      recordSizeBytes: opts.recordSize,
      partitions: opts.partitions,
      replicationFactor,
      repeat,
      ...(opts.records !== undefined ? { records: opts.records } : {}),
      ...(opts.latencyRate !== undefined ? { latencyRate: opts.latencyRate } : {}),
      latencySeconds,
      latencyAcks: opts.latencyAcks,
      probeRate: opts.probeRate,
      deleteTopics: keepsTopics,
      log: progress,
    };
    let single: SingleClusterRuns | null = null;
    if (!onlyOne) {
      single = await runSingleClusterCase({
        ...caseOptions,
        onTurnout: (child) => {
          turnout = child;
        },
      });
    }

    let secure: SecureSummary | null = null;
    if ((opts.secure && !onlyTracing) || onlySecure) {
      progress(`secured: plaintext, TLS + SCRAM and TLS + SCRAM + ACLs, a Turnout each, in front of ${ownCluster ? BENCH_CLUSTER : bootstrap}`);
      secure = await runSecureCase({
        ...caseOptions,
        cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
        kafkaVersion,
        repeat: opts.secureRepeat ?? repeat,
        onTurnouts: (children) => {
          secureTurnouts = children;
        },
      });
    }

    let twoBackends: TwoBackendSummary | null = null;
    if (opts.twoBackends && !onlyOne) {
      const secondCluster = ownSecond ? SECOND_CLUSTER : secondBootstrap;
      progress(`two backends: ${ownCluster ? BENCH_CLUSTER : bootstrap} and ${secondCluster}`);
      twoBackends = await runTwoBackendCase({
        clusters: [
          { cluster: ownCluster ? BENCH_CLUSTER : bootstrap, bootstrap, kafkaVersion, brokers: await brokerCount(bootstrap) },
          { cluster: secondCluster, bootstrap: secondBootstrap, kafkaVersion: secondVersion, brokers: await brokerCount(secondBootstrap) },
        ],
        runId,
        quick,
        recordSizeBytes: opts.recordSize,
        partitions: opts.partitions,
        replicationFactor: opts.replicationFactor ?? 3,
        repeat: opts.twoBackendRepeat ?? (quick ? 1 : 2),
        ...(opts.latencyRate !== undefined ? { latencyRate: opts.latencyRate } : {}),
        latencySeconds: opts.latencySeconds ?? (quick ? 3 : 6),
        latencyAcks: opts.latencyAcks,
        deleteTopics: opts.keepCluster === true || !ownCluster || !ownSecond,
        log: progress,
        onTurnout: (child) => {
          twoBackendTurnout = child;
        },
      });
    }

    let tracing: TracingSummary | null = null;
    if ((opts.tracing === true && !onlySecure) || onlyTracing) {
      progress(`tracing: off, 1% and 100% sampled, a Turnout each, in front of ${ownCluster ? BENCH_CLUSTER : bootstrap}`);
      tracing = await runTracingCase({
        ...caseOptions,
        cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
        onTurnouts: (children) => {
          tracingTurnouts = children;
        },
      });
    }
    const tracingLines = tracing === null ? [] : formatTracingReport(tracing);

    const machine = { cores: availableParallelism(), loadAverage: { start: loadAtStart, end: loadavg()[0] as number } };
    if (single === null) {
      if (secure === null && tracing === null) throw new Error('nothing was measured');
      const head = formatMachine(machine, secure === null ? 'tracing case only' : tracing === null ? 'secured case only' : 'secured and tracing cases only');
      process.stdout.write(`${[...head, ...(secure === null ? [] : formatSecureReport(secure)), ...tracingLines].join('\n')}\n`);
      process.stdout.write(`${benchJsonLine({ ...machine, ...(secure === null ? {} : { secure }), tracing })}\n`);
      return;
    }
    const config: BenchConfig = {
      records: single.records,
      consumeRecords: single.consumeRecords,
      recordSizeBytes: opts.recordSize,
      repeat,
      partitions: opts.partitions,
      replicationFactor,
      acks: 'all',
      latencyAcks: opts.latencyAcks,
      latencyRate: single.latencyRate,
      latencyRecords: single.latencyRecords,
      probeRate: opts.probeRate,
      kafkaVersion,
      cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
      turnout: 'child process',
      ...machine,
    };
    const summary = summarizeBench(config, single.produce, single.consume, single.latency, twoBackends, secure);
    process.stdout.write(`${[...formatBenchReport(summary), ...tracingLines].join('\n')}\n`);
    process.stdout.write(`${benchJsonLine({ ...summary, tracing })}\n`);
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const program = new Command()
  .name('bench')
  .description('Kafka perf tools directly against a 3-broker cluster and through Turnout; prints the Turnout/direct ratios and added latency, then one JSON line')
  .option('--records <n>', 'records per throughput run, the same for both paths (default: about 8 s of the warm-up rate, 20000 to 300000; --quick about 3 s, 5000 to 30000)', positiveInt('--records'))
  .option('--record-size <bytes>', 'record size in bytes', positiveInt('--record-size'), 1024)
  .option('--repeat <n>', 'repetitions of each run per path, alternating which path goes first (default 3, --quick 1)', positiveInt('--repeat'))
  .option('--quick', 'a small, fast smoke run')
  .option('--bootstrap <servers>', `use this running cluster instead of starting "${BENCH_CLUSTER}"`)
  .option('--kafka-version <version>', 'Kafka version of the bench cluster', DEFAULT_KAFKA_VERSION)
  .option('--partitions <n>', 'partitions of the bench topics', positiveInt('--partitions'), 6)
  .option('--replication-factor <n>', 'replication factor of the bench topics (default 3)', positiveInt('--replication-factor'))
  .option('--latency-rate <n>', 'records/s of the moderate-load latency run (default 5000, --quick 2000, or 40% of the direct produce throughput when that is less)', positiveInt('--latency-rate'))
  .option('--latency-seconds <n>', 'length of each latency run (default 10, --quick 4)', positiveInt('--latency-seconds'))
  .addOption(
    new Option('--latency-acks <acks>', 'acks of the latency runs: 1 keeps replication timing, which Turnout does not touch, from swamping a sub-millisecond difference')
      .choices(['1', 'all'])
      .default('1'),
  )
  .option('--probe-rate <n>', 'single-record produce requests per second of the latency probe', positiveInt('--probe-rate'), 200)
  .option('--keep-cluster', `leave the "${BENCH_CLUSTER}" (and "${SECOND_CLUSTER}") cluster running for the next run`)
  .option('--no-two-backends', 'skip the two-backend case (one Turnout over two clusters, a domain on each)')
  .option('--second-bootstrap <servers>', `second cluster of the two-backend case: use this running one instead of starting "${SECOND_CLUSTER}"`)
  .option('--second-kafka-version <version>', `Kafka version of "${SECOND_CLUSTER}" (default: --kafka-version; 3.9.1 mixes versions)`)
  .option('--second-brokers <n>', `brokers of "${SECOND_CLUSTER}"`, positiveInt('--second-brokers'), 1)
  .option('--two-backend-repeat <n>', 'repetitions of each two-backend run per path (default 2, --quick 1)', positiveInt('--two-backend-repeat'))
  .option('--no-secure', 'skip the secured case (plaintext, TLS + SCRAM, and TLS + SCRAM + ACLs: one Turnout each in front of the cluster)')
  .option('--only-secure', 'run only the secured case (no direct runs, no two-backend case)')
  .option('--secure-repeat <n>', 'repetitions of each secured-case run per setting (default: --repeat)', positiveInt('--secure-repeat'))
  .option('--tracing', 'also run the tracing case: a Turnout with tracing off, one sampling 1% of requests and one sampling all, each exporting to a local OTLP endpoint that discards the spans')
  .option('--only-tracing', 'run only the tracing case (no direct runs, no secured or two-backend case)')
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
