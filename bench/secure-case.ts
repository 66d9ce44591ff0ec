// The bench's secured case: Kafka's perf tools through three Turnouts (children, as deployed)
// in front of the same cluster, differing only in their listener's security (plaintext; TLS
// and SASL SCRAM-SHA-512; the same with ACLs on), the tools logging in with a client
// properties file (--producer.config, --consumer.config). Produce throughput (uncapped),
// consume throughput (everything the produce runs wrote), and latency at moderate load (the
// producer perf test capped, with the microsecond produce probe, over TLS with SASL where the
// listener wants them), each run through every Turnout back to back, the order rotating
// between repetitions.
import { createTopics, deleteTopics } from './bench-admin.js';
import { median, moderateRate, rotation, sizeThroughputRecords, warmUpConnections, warmUpPath, type BenchCaseOptions } from './comparison.js';
import { consumePerf, producePerf } from './perf-tools.js';
import { runProduceProbe } from './produce-probe.js';
import { summarizeSecure, type SecureConsumeRun, type SecureLatencyRun, type SecureProduceRun, type SecureSummary } from './secure-report.js';
import { createSecureBenchIdentity, SECURE_BENCH_PREFIX, secureBenchAcls, SECURITY_VARIANTS, startSecureChild, VARIANT_LABELS, type SecurityVariant } from './secure-turnout.js';
import { checkThroughTurnout, measureRun } from './proxy-run.js';
import type { TurnoutChild } from './turnout-child.js';

export interface SecureCaseOptions extends BenchCaseOptions {
  /** The bench cluster (plaintext): every setting's backend. */
  bootstrap: string;
  /** How the report names it. */
  cluster: string;
  kafkaVersion: string | null;
  probeRate: number;
  /** Told about the Turnout children as they start (and `[]` once stopped), so that an interrupt can stop them. */
  onTurnouts: (children: TurnoutChild[]) => void;
}

const KINDS = ['warm', 'tput', 'lat', 'probe'] as const;
type Kind = (typeof KINDS)[number];

/** The settings in repetition `rep`'s order: rotated by one each time, so each goes first, second and last. */
export function variantOrder(rep: number): SecurityVariant[] {
  return rotation(SECURITY_VARIANTS, rep);
}

export async function runSecureCase(opts: SecureCaseOptions): Promise<SecureSummary> {
  const log = (line: string): void => opts.log(`secured: ${line}`);
  const topic = (kind: Kind): string => `${SECURE_BENCH_PREFIX}${kind}-${opts.runId}`;
  await createTopics(
    opts.bootstrap,
    KINDS.map((kind) => ({ topic: topic(kind), numPartitions: kind === 'probe' ? 1 : opts.partitions, replicationFactor: opts.replicationFactor })),
  );
  const identity = await createSecureBenchIdentity();
  const children = new Map<SecurityVariant, TurnoutChild>();
  try {
    for (const variant of SECURITY_VARIANTS) {
      children.set(variant, await startSecureChild(variant, opts.bootstrap.split(','), identity));
      opts.onTurnouts([...children.values()]);
    }
    const child = (v: SecurityVariant): TurnoutChild => children.get(v) as TurnoutChild;
    const clientConfig = (v: SecurityVariant): { clientConfig?: string } => (v === 'plain' ? {} : { clientConfig: identity.clientConfig });
    log(`Turnouts at ${SECURITY_VARIANTS.map((v) => `${child(v).bootstrapServers} (${VARIANT_LABELS[v]}, pid ${child(v).pid})`).join(', ')}`);

    const warmRecords = opts.quick ? 5_000 : 20_000;
    let warmRate = 0;
    for (const variant of SECURITY_VARIANTS) {
      log(`warm-up: ${warmUpConnections(opts.quick)} × ${warmRecords} records ${VARIANT_LABELS[variant]}`);
      const rate = await warmUpPath(opts.quick, () => producePerf({ topic: topic('warm'), records: warmRecords, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: child(variant).bootstrapServers, clientId: `bench-sec-warm-${variant}`, ...clientConfig(variant), log: opts.log }));
      if (variant === 'plain') warmRate = rate;
    }
    const records = opts.records ?? sizeThroughputRecords(warmRate, opts.quick).records;
    log(`${records} records per produce run (warm-up plaintext ${Math.round(warmRate)} rec/s)`);
    const payload = records * opts.recordSizeBytes;

    const produce: SecureProduceRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of variantOrder(rep)) {
        const m = await measureRun(child(variant), () =>
          producePerf({ topic: topic('tput'), records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: child(variant).bootstrapServers, clientId: `bench-sec-produce-${variant}`, ...clientConfig(variant), log: opts.log }),
        );
        checkThroughTurnout(`secured: produce ${variant}`, m.clientInBytes, payload);
        const r = m.value;
        produce.push({ variant, rep, result: r, durationMs: (r.records / r.recordsPerSec) * 1000, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
        log(`produce ${VARIANT_LABELS[variant].padEnd(18)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s, ${Math.round(r.recordsPerSec)} rec/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      }
    }

    const consumeRecords = records * produce.length;
    const consume: SecureConsumeRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of variantOrder(rep)) {
        const group = `${SECURE_BENCH_PREFIX}consume-${variant}-${rep}-${opts.runId}`;
        const m = await measureRun(child(variant), () => consumePerf({ bootstrap: child(variant).bootstrapServers, topic: topic('tput'), records: consumeRecords, group, ...clientConfig(variant), log: opts.log }));
        checkThroughTurnout(`secured: consume ${variant}`, m.clientOutBytes, payload);
        const r = m.value;
        if (r.records < consumeRecords) throw new Error(`secured: consume ${variant}: the consumer perf test read ${r.records} of ${consumeRecords} records`);
        consume.push({ variant, rep, result: r, durationMs: r.fetchMs, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
        log(`consume ${VARIANT_LABELS[variant].padEnd(18)} #${rep + 1}: ${r.fetchMbPerSec.toFixed(2)} MB/s, ${Math.round(r.fetchRecordsPerSec)} rec/s while fetching (group join ${r.rebalanceMs} ms)`);
      }
    }

    const plainRate = median(produce.filter((r) => r.variant === 'plain').map((r) => r.result.recordsPerSec));
    const latencyRate = opts.latencyRate ?? moderateRate(plainRate, opts.quick);
    const latencyRecords = latencyRate * opts.latencySeconds;
    log(`latency runs at ${latencyRate} rec/s, acks=${opts.latencyAcks}`);
    const latency: SecureLatencyRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of variantOrder(rep)) {
        const durationMs = (latencyRecords / latencyRate) * 1000;
        const bootstrap = child(variant).bootstrapServers;
        const [perf, probe] = await Promise.all([
          producePerf({ topic: topic('lat'), records: latencyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: latencyRate, bootstrap, clientId: `bench-sec-latency-${variant}`, acks: opts.latencyAcks, ...clientConfig(variant), log: opts.log }),
          // Starts with the perf test's JVM and stops before it does, so it runs under load.
          new Promise<void>((r) => setTimeout(r, 1_500)).then(() =>
            runProduceProbe({
              bootstrap,
              topic: topic('probe'),
              durationMs: Math.max(1_000, durationMs - 1_000),
              ratePerSec: opts.probeRate,
              recordSizeBytes: opts.recordSizeBytes,
              acks: opts.latencyAcks === 'all' ? -1 : Number(opts.latencyAcks),
              ...(variant === 'plain' ? {} : { security: identity.probe }),
            }),
          ),
        ]);
        latency.push({ variant, rep, perf, probe });
        log(
          `latency ${VARIANT_LABELS[variant].padEnd(18)} #${rep + 1}: perf test p50 ${perf.p50Ms} ms, p99 ${perf.p99Ms} ms at ${Math.round(perf.recordsPerSec)} rec/s; ` +
            `probe p50 ${(probe.p50Us / 1000).toFixed(3)} ms, p99 ${(probe.p99Us / 1000).toFixed(3)} ms (${probe.count} round trips${probe.errors > 0 ? `, ${probe.errors} errors` : ''})`,
        );
      }
    }

    return summarizeSecure(
      {
        cluster: opts.cluster,
        kafkaVersion: opts.kafkaVersion,
        records,
        consumeRecords,
        recordSizeBytes: opts.recordSizeBytes,
        repeat: opts.repeat,
        partitions: opts.partitions,
        replicationFactor: opts.replicationFactor,
        acks: 'all',
        latencyAcks: opts.latencyAcks,
        latencyRate,
        latencyRecords,
        probeRate: opts.probeRate,
        mechanism: identity.probe.mechanism,
        aclBindings: secureBenchAcls(identity.user.username).length,
      },
      produce,
      consume,
      latency,
    );
  } finally {
    for (const c of children.values()) await c.stop().catch(() => undefined);
    opts.onTurnouts([]);
    await identity.remove();
    if (opts.deleteTopics) await deleteTopics(opts.bootstrap, KINDS.map(topic)).catch(() => undefined);
  }
}
