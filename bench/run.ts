// `npm run bench`: Kafka's own perf tools against a 3-broker cluster, directly and through
// Turnout, in one run. Produce throughput (kafka-producer-perf-test, uncapped), consume
// throughput (kafka-consumer-perf-test) and latency at moderate load (the producer perf test
// capped, plus a microsecond-resolution produce probe), each run for both paths back to back,
// alternating which goes first, repeated. Then the two-backend case (two-backend-case.ts):
// one Turnout over two clusters against the same workload split across them by hand.
// Prints a table, then exactly one JSON line.
//
// Turnout runs as a child process (`turnout start`), as deployed: it then shares no event
// loop, heap or GC with this driver (which runs the probe), and its CPU time is its own.
import { availableParallelism, loadavg } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_KAFKA_VERSION, runKafkaTool, startCluster, stopCluster, type KafkaToolResult } from '../src/devkit/index.js';
import { brokerCount, createTopics, deleteTopics } from './bench-admin.js';
import { benchJsonLine, formatBenchReport, median, summarizeBench, type BenchConfig, type BenchPath, type ConsumeRun, type LatencyRun, type ProduceRun } from './bench-report.js';
import { moderateRate, orderFor } from './comparison.js';
import { parseConsumerPerf, parseProducerPerf, type ProducerPerfResult } from './perf-output.js';
import { runProduceProbe } from './produce-probe.js';
import { checkThroughTurnout, measureRun, startTurnoutChild, type TurnoutChild } from './turnout-child.js';
import { runTwoBackendCase } from './two-backend-case.js';
import type { TwoBackendSummary } from './two-backend-report.js';

const BENCH_CLUSTER = 'bench';
/** The second cluster of the two-backend case. */
const SECOND_CLUSTER = 'bench-b';
/** Small: it only has to hold the two-backend case's share of the records. */
const SECOND_HEAP_MB = 384;
/** The tools print numbers with the JVM's locale; pin one the parsers expect. */
const TOOL_JVM = ['-Duser.language=en', '-Duser.country=US'];

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
}

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

class ToolFailed extends Error {
  constructor(tool: string, result: KafkaToolResult) {
    super(`${tool} ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${result.stderr.trimEnd().slice(-1_500)}\n${result.stdout.trimEnd().slice(-600)}`);
    this.name = 'ToolFailed';
  }
}

async function tool(name: string, args: string[], timeoutMs: number): Promise<KafkaToolResult> {
  const result = await runKafkaTool(name, args, { timeoutMs, jvmOptions: TOOL_JVM, log: progress });
  if (result.code !== 0) throw new ToolFailed(name, result);
  return result;
}

function producerArgs(topic: string, records: number, recordSize: number, throughput: number, bootstrap: string, clientId: string, acks: string): string[] {
  return [
    '--topic', topic,
    '--num-records', String(records),
    '--record-size', String(recordSize),
    '--throughput', String(throughput),
    '--producer-props', `bootstrap.servers=${bootstrap}`, `acks=${acks}`, `client.id=${clientId}`,
  ];
}

async function producePerf(topic: string, records: number, recordSize: number, throughput: number, bootstrap: string, clientId: string, acks = 'all'): Promise<ProducerPerfResult> {
  const result = await tool('kafka-producer-perf-test', producerArgs(topic, records, recordSize, throughput, bootstrap, clientId, acks), 15 * 60_000);
  return parseProducerPerf(result.stdout);
}

async function main(opts: BenchOptions): Promise<void> {
  const quick = opts.quick === true;
  // Without --records, each throughput run is sized from the warm-up to last about this long:
  // enough data on a fast machine, a bounded run time on a slow or busy one.
  const sizing = quick ? { seconds: 3, min: 5_000, max: 30_000 } : { seconds: 8, min: 20_000, max: 300_000 };
  let records = opts.records ?? 0;
  const repeat = opts.repeat ?? (quick ? 1 : 3);
  const latencySeconds = opts.latencySeconds ?? (quick ? 4 : 10);
  const ownCluster = opts.bootstrap === undefined;
  const runId = Date.now().toString(36);
  const loadAtStart = loadavg()[0] as number;
  let turnout: TurnoutChild | undefined;
  let twoBackendTurnout: TurnoutChild | undefined;
  let clusterUp = false;
  let bootstrap = opts.bootstrap ?? '';
  const ownSecond = opts.twoBackends && opts.secondBootstrap === undefined;
  let secondUp = false;
  let secondBootstrap = opts.secondBootstrap ?? '';
  let secondVersion: string | null = null;
  const topics = { warm: `bench-warm-${runId}`, tput: `bench-tput-${runId}`, lat: `bench-lat-${runId}`, probe: `bench-probe-${runId}` };

  const cleanup = async (): Promise<void> => {
    await turnout?.stop().catch(() => undefined);
    turnout = undefined;
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
    } else if (!ownCluster || opts.keepCluster === true) {
      await deleteTopics(bootstrap, Object.values(topics)).catch(() => undefined);
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
    await createTopics(bootstrap, [
      { topic: topics.warm, numPartitions: opts.partitions, replicationFactor },
      { topic: topics.tput, numPartitions: opts.partitions, replicationFactor },
      { topic: topics.lat, numPartitions: opts.partitions, replicationFactor },
      { topic: topics.probe, numPartitions: 1, replicationFactor },
    ]);

    progress('starting Turnout (node dist/src/cli.js start) in front of the cluster');
    turnout = await startTurnoutChild([{ name: 'bench', bootstrapServers: bootstrap.split(',') }]);
    const proxy = turnout;
    const target = (path: BenchPath): string => (path === 'direct' ? bootstrap : proxy.bootstrapServers);
    progress(`Turnout pid ${proxy.pid} at ${proxy.bootstrapServers}; cluster at ${bootstrap}`);

    // JIT in the brokers, the tools and Turnout: a short uncounted run on each path.
    const warmRecords = quick ? 5_000 : 20_000;
    let warmRate = 0;
    for (const path of ['direct', 'turnout'] as const) {
      progress(`warm-up: ${warmRecords} records ${path}`);
      const warm = await producePerf(topics.warm, warmRecords, opts.recordSize, -1, target(path), `bench-warm-${path}`);
      if (path === 'direct') warmRate = warm.recordsPerSec;
    }
    if (records === 0) {
      records = Math.round(Math.min(sizing.max, Math.max(sizing.min, warmRate * sizing.seconds)) / 1_000) * 1_000;
      progress(`${records} records per throughput run (about ${sizing.seconds} s at the warm-up's ${Math.round(warmRate)} rec/s)`);
    }

    const measureTurnout = <T>(path: BenchPath, run: () => Promise<T>) => measureRun(proxy, path, run);
    const payload = records * opts.recordSize;

    const produce: ProduceRun[] = [];
    for (let rep = 0; rep < repeat; rep++) {
      for (const path of orderFor(rep)) {
        const m = await measureTurnout(path, () => producePerf(topics.tput, records, opts.recordSize, -1, target(path), `bench-produce-${path}`));
        checkThroughTurnout(`produce ${path}`, m.clientInBytes, payload);
        const r = m.value;
        produce.push({ path, rep, result: r, durationMs: (r.records / r.recordsPerSec) * 1000, ...(m.cpuSec !== undefined ? { turnoutCpuSec: m.cpuSec } : {}) });
        progress(`produce ${path.padEnd(7)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      }
    }

    // Consuming is several times faster than producing: read everything the produce runs
    // wrote, so that a consume run lasts long enough to measure.
    const consumeRecords = records * produce.length;
    const consume: ConsumeRun[] = [];
    for (let rep = 0; rep < repeat; rep++) {
      for (const path of orderFor(rep)) {
        const group = `bench-consume-${path}-${rep}-${runId}`;
        const m = await measureTurnout(path, async () => {
          const result = await tool('kafka-consumer-perf-test', ['--bootstrap-server', target(path), '--topic', topics.tput, '--messages', String(consumeRecords), '--group', group, '--timeout', '60000'], 15 * 60_000);
          return parseConsumerPerf(result.stdout);
        });
        checkThroughTurnout(`consume ${path}`, m.clientOutBytes, payload);
        const r = m.value;
        if (r.records < consumeRecords) throw new Error(`consume ${path}: the consumer perf test read ${r.records} of ${consumeRecords} records`);
        // Turnout works while records flow: CPU over the fetch time, not over the JVM's start.
        consume.push({ path, rep, result: r, durationMs: r.fetchMs, ...(m.cpuSec !== undefined ? { turnoutCpuSec: m.cpuSec } : {}) });
        progress(`consume ${path.padEnd(7)} #${rep + 1}: ${r.fetchMbPerSec.toFixed(2)} MB/s, ${Math.round(r.fetchRecordsPerSec)} rec/s while fetching (group join ${r.rebalanceMs} ms)`);
      }
    }

    const directRate = median(produce.filter((r) => r.path === 'direct').map((r) => r.result.recordsPerSec));
    const latencyRate = opts.latencyRate ?? moderateRate(directRate, quick);
    const latencyRecords = latencyRate * latencySeconds;
    progress(`latency runs at ${latencyRate} rec/s${opts.latencyRate === undefined ? ` (40% of the direct ${Math.round(directRate)} rec/s, at most ${quick ? 2_000 : 5_000})` : ''}`);
    const latency: LatencyRun[] = [];
    for (let rep = 0; rep < repeat; rep++) {
      for (const path of orderFor(rep)) {
        const durationMs = (latencyRecords / latencyRate) * 1000;
        const [perf, probe] = await Promise.all([
          producePerf(topics.lat, latencyRecords, opts.recordSize, latencyRate, target(path), `bench-latency-${path}`, opts.latencyAcks),
          // Starts with the perf test's JVM and stops before it does, so it runs under load.
          new Promise<void>((r) => setTimeout(r, 1_500)).then(() =>
            runProduceProbe({
              bootstrap: target(path),
              topic: topics.probe,
              durationMs: Math.max(1_000, durationMs - 1_000),
              ratePerSec: opts.probeRate,
              recordSizeBytes: opts.recordSize,
              acks: opts.latencyAcks === 'all' ? -1 : Number(opts.latencyAcks),
            }),
          ),
        ]);
        latency.push({ path, rep, perf, probe });
        progress(
          `latency ${path.padEnd(7)} #${rep + 1}: perf test p50 ${perf.p50Ms} ms, p99 ${perf.p99Ms} ms at ${Math.round(perf.recordsPerSec)} rec/s; ` +
            `probe p50 ${(probe.p50Us / 1000).toFixed(3)} ms, p99 ${(probe.p99Us / 1000).toFixed(3)} ms (${probe.count} round trips${probe.errors > 0 ? `, ${probe.errors} errors` : ''})`,
        );
      }
    }

    // The single-cluster Turnout is done; the two-backend case starts its own over both clusters.
    await proxy.stop();
    turnout = undefined;
    let twoBackends: TwoBackendSummary | null = null;
    if (opts.twoBackends) {
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

    const config: BenchConfig = {
      records,
      consumeRecords,
      recordSizeBytes: opts.recordSize,
      repeat,
      partitions: opts.partitions,
      replicationFactor,
      acks: 'all',
      latencyAcks: opts.latencyAcks,
      latencyRate,
      latencyRecords,
      probeRate: opts.probeRate,
      kafkaVersion,
      cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
      turnout: 'child process',
      cores: availableParallelism(),
      loadAverage: { start: loadAtStart, end: loadavg()[0] as number },
    };
    const summary = summarizeBench(config, produce, consume, latency, twoBackends);
    process.stdout.write(`${formatBenchReport(summary).join('\n')}\n`);
    process.stdout.write(`${benchJsonLine(summary)}\n`);
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
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
