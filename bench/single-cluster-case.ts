// The bench's single-cluster case: Kafka's perf tools against a cluster directly and through
// one Turnout (a child process, as deployed) in front of it. Produce throughput (uncapped),
// consume throughput (everything the produce runs wrote) and latency at moderate load (the
// producer perf test capped, plus the microsecond produce probe), each run for both paths
// back to back, alternating which goes first.
import { createTopics, deleteTopics } from './bench-admin.js';
import type { ConsumeRun, LatencyRun, ProduceRun } from './bench-report.js';
import { median, moderateRate, orderFor, sizeThroughputRecords, type BenchCaseOptions, type BenchPath } from './comparison.js';
import { consumePerf, producePerf } from './perf-tools.js';
import { runProduceProbe } from './produce-probe.js';
import { checkThroughTurnout, measureRun, startTurnoutChild, type TurnoutChild } from './turnout-child.js';

export interface SingleClusterCaseOptions extends BenchCaseOptions {
  bootstrap: string;
  probeRate: number;
  /** Told about the Turnout child as soon as it runs, so that an interrupt can stop it. */
  onTurnout: (child: TurnoutChild | undefined) => void;
}

export interface SingleClusterRuns {
  records: number;
  consumeRecords: number;
  latencyRate: number;
  latencyRecords: number;
  produce: ProduceRun[];
  consume: ConsumeRun[];
  latency: LatencyRun[];
}

export async function runSingleClusterCase(opts: SingleClusterCaseOptions): Promise<SingleClusterRuns> {
  const { bootstrap, log } = opts;
  const topics = { warm: `bench-warm-${opts.runId}`, tput: `bench-tput-${opts.runId}`, lat: `bench-lat-${opts.runId}`, probe: `bench-probe-${opts.runId}` };
  await createTopics(bootstrap, [
    { topic: topics.warm, numPartitions: opts.partitions, replicationFactor: opts.replicationFactor },
    { topic: topics.tput, numPartitions: opts.partitions, replicationFactor: opts.replicationFactor },
    { topic: topics.lat, numPartitions: opts.partitions, replicationFactor: opts.replicationFactor },
    { topic: topics.probe, numPartitions: 1, replicationFactor: opts.replicationFactor },
  ]);

  log('starting Turnout (node dist/src/cli.js start) in front of the cluster');
  const proxy = await startTurnoutChild([{ name: 'bench', bootstrapServers: bootstrap.split(',') }]);
  opts.onTurnout(proxy);
  try {
    const target = (path: BenchPath): string => (path === 'direct' ? bootstrap : proxy.bootstrapServers);
    log(`Turnout pid ${proxy.pid} at ${proxy.bootstrapServers}; cluster at ${bootstrap}`);

    // JIT in the brokers, the tools and Turnout: a short uncounted run on each path.
    const warmRecords = opts.quick ? 5_000 : 20_000;
    let warmRate = 0;
    for (const path of ['direct', 'turnout'] as const) {
      log(`warm-up: ${warmRecords} records ${path}`);
      const warm = await producePerf({ topic: topics.warm, records: warmRecords, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: target(path), clientId: `bench-warm-${path}`, log });
      if (path === 'direct') warmRate = warm.recordsPerSec;
    }
    let records = opts.records ?? 0;
    if (records === 0) {
      const sized = sizeThroughputRecords(warmRate, opts.quick);
      records = sized.records;
      log(`${records} records per throughput run (about ${sized.seconds} s at the warm-up's ${Math.round(warmRate)} rec/s)`);
    }

    const measureTurnout = <T>(path: BenchPath, run: () => Promise<T>) => measureRun(proxy, path, run);
    const payload = records * opts.recordSizeBytes;

    const produce: ProduceRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const path of orderFor(rep)) {
        const m = await measureTurnout(path, () => producePerf({ topic: topics.tput, records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: target(path), clientId: `bench-produce-${path}`, log }));
        checkThroughTurnout(`produce ${path}`, m.clientInBytes, payload);
        const r = m.value;
        produce.push({ path, rep, result: r, durationMs: (r.records / r.recordsPerSec) * 1000, ...(m.cpuSec !== undefined ? { turnoutCpuSec: m.cpuSec } : {}) });
        log(`produce ${path.padEnd(7)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      }
    }

    // Consuming is several times faster than producing: read everything the produce runs
    // wrote, so that a consume run lasts long enough to measure.
    const consumeRecords = records * produce.length;
    const consume: ConsumeRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const path of orderFor(rep)) {
        const group = `bench-consume-${path}-${rep}-${opts.runId}`;
        const m = await measureTurnout(path, () => consumePerf({ bootstrap: target(path), topic: topics.tput, records: consumeRecords, group, log }));
        checkThroughTurnout(`consume ${path}`, m.clientOutBytes, payload);
        const r = m.value;
        if (r.records < consumeRecords) throw new Error(`consume ${path}: the consumer perf test read ${r.records} of ${consumeRecords} records`);
        // Turnout works while records flow: CPU over the fetch time, not over the JVM's start.
        consume.push({ path, rep, result: r, durationMs: r.fetchMs, ...(m.cpuSec !== undefined ? { turnoutCpuSec: m.cpuSec } : {}) });
        log(`consume ${path.padEnd(7)} #${rep + 1}: ${r.fetchMbPerSec.toFixed(2)} MB/s, ${Math.round(r.fetchRecordsPerSec)} rec/s while fetching (group join ${r.rebalanceMs} ms)`);
      }
    }

    const directRate = median(produce.filter((r) => r.path === 'direct').map((r) => r.result.recordsPerSec));
    const latencyRate = opts.latencyRate ?? moderateRate(directRate, opts.quick);
    const latencyRecords = latencyRate * opts.latencySeconds;
    log(`latency runs at ${latencyRate} rec/s${opts.latencyRate === undefined ? ` (40% of the direct ${Math.round(directRate)} rec/s, at most ${opts.quick ? 2_000 : 5_000})` : ''}`);
    const latency: LatencyRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const path of orderFor(rep)) {
        const durationMs = (latencyRecords / latencyRate) * 1000;
        const [perf, probe] = await Promise.all([
          producePerf({
            topic: topics.lat,
            records: latencyRecords,
            recordSizeBytes: opts.recordSizeBytes,
            throughput: latencyRate,
            bootstrap: target(path),
            clientId: `bench-latency-${path}`,
            acks: opts.latencyAcks,
            log,
          }),
          // Starts with the perf test's JVM and stops before it does, so it runs under load.
          new Promise<void>((r) => setTimeout(r, 1_500)).then(() =>
            runProduceProbe({
              bootstrap: target(path),
              topic: topics.probe,
              durationMs: Math.max(1_000, durationMs - 1_000),
              ratePerSec: opts.probeRate,
              recordSizeBytes: opts.recordSizeBytes,
              acks: opts.latencyAcks === 'all' ? -1 : Number(opts.latencyAcks),
            }),
          ),
        ]);
        latency.push({ path, rep, perf, probe });
        log(
          `latency ${path.padEnd(7)} #${rep + 1}: perf test p50 ${perf.p50Ms} ms, p99 ${perf.p99Ms} ms at ${Math.round(perf.recordsPerSec)} rec/s; ` +
            `probe p50 ${(probe.p50Us / 1000).toFixed(3)} ms, p99 ${(probe.p99Us / 1000).toFixed(3)} ms (${probe.count} round trips${probe.errors > 0 ? `, ${probe.errors} errors` : ''})`,
        );
      }
    }
      return { records, consumeRecords, latencyRate, latencyRecords, produce, consume, latency };
    } finally {
      await proxy.stop();
      opts.onTurnout(undefined);
      if (opts.deleteTopics) await deleteTopics(bootstrap, Object.values(topics)).catch(() => undefined);
    }
  }
