// The bench's tracing case: what OpenTelemetry tracing costs Turnout. Three Turnouts (children,
// as deployed) in front of the same cluster, the same but for `tracing`: off, 1% of requests
// sampled, every request sampled, each exporting to an OTLP endpoint of its own in this
// process that discards what it gets. Produce throughput (uncapped perf test), consume
// throughput (everything the produce runs wrote) and the produce probe's latency beside a
// capped producer, through each Turnout back to back, the order rotating between repetitions.
import { writeFile } from 'node:fs/promises';
import { createTopics, deleteTopics } from './bench-admin.js';
import { median, moderateRate, sizeThroughputRecords, warmUpConnections, warmUpPath, type BenchCaseOptions } from './comparison.js';
import { OtlpSink } from './otlp-sink.js';
import { consumePerf, producePerf } from './perf-tools.js';
import { probeUnderLoad } from './probe-under-load.js';
import { checkThroughTurnout, measureRun } from './proxy-run.js';
import { startTurnoutChildWith, turnoutChildConfig, type TurnoutChild } from './turnout-child.js';
import {
  SAMPLING_RATIOS,
  summarizeTracing,
  TRACING_LABELS,
  TRACING_VARIANTS,
  type TracingLatencyRun,
  type TracingSummary,
  type TracingThroughputRun,
  type TracingVariant,
} from './tracing-report.js';

export interface TracingCaseOptions extends BenchCaseOptions {
  bootstrap: string;
  /** How the report names the cluster. */
  cluster: string;
  probeRate: number;
  /** Told about the Turnout children as they start (and `[]` once stopped), so that an interrupt can stop them. */
  onTurnouts: (children: TurnoutChild[]) => void;
}

const KINDS = ['warm', 'tput', 'lat', 'probe'] as const;
type Kind = (typeof KINDS)[number];
const MB = 1024 * 1024;

/** The settings in repetition `rep`'s order: rotated by one each time. */
export function tracingOrder(rep: number): TracingVariant[] {
  return TRACING_VARIANTS.map((_, i) => TRACING_VARIANTS[(i + rep) % TRACING_VARIANTS.length] as TracingVariant);
}

/** The `tracing` section a setting's Turnout is started with (YAML, appended to the child's configuration). */
export function tracingSection(variant: TracingVariant, endpoint: string): string {
  const ratio = SAMPLING_RATIOS[variant];
  if (ratio === null) return 'tracing:\n  enabled: false\n';
  return ['tracing:', '  enabled: true', `  endpoint: ${endpoint}`, `  samplingRatio: ${ratio}`, `  serviceName: turnout-bench-${variant}`, ''].join('\n');
}

export async function runTracingCase(opts: TracingCaseOptions): Promise<TracingSummary> {
  const log = (line: string): void => opts.log(`tracing: ${line}`);
  const topic = (kind: Kind): string => `bench-trc-${kind}-${opts.runId}`;
  await createTopics(
    opts.bootstrap,
    KINDS.map((kind) => ({ topic: topic(kind), numPartitions: kind === 'probe' ? 1 : opts.partitions, replicationFactor: opts.replicationFactor })),
  );
  const sinks = new Map<TracingVariant, OtlpSink>();
  const children = new Map<TracingVariant, TurnoutChild>();
  try {
    for (const variant of TRACING_VARIANTS) {
      const sink = new OtlpSink();
      await sink.listen();
      sinks.set(variant, sink);
      const backends = [{ name: 'bench', bootstrapServers: opts.bootstrap.split(',') }];
      children.set(variant, await startTurnoutChildWith((file, ports) => writeFile(file, turnoutChildConfig(backends, ports) + tracingSection(variant, sink.endpoint))));
      opts.onTurnouts([...children.values()]);
    }
    const child = (v: TracingVariant): TurnoutChild => children.get(v) as TurnoutChild;
    log(`Turnouts at ${TRACING_VARIANTS.map((v) => `${child(v).bootstrapServers} (${TRACING_LABELS[v]}, pid ${child(v).pid})`).join(', ')}`);

    const warmRecords = opts.quick ? 5_000 : 20_000;
    let warmRate = 0;
    for (const variant of TRACING_VARIANTS) {
      log(`warm-up: ${warmUpConnections(opts.quick)} × ${warmRecords} records, ${TRACING_LABELS[variant]}`);
      const rate = await warmUpPath(opts.quick, () => producePerf({ topic: topic('warm'), records: warmRecords, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: child(variant).bootstrapServers, clientId: `bench-trc-warm-${variant}`, log: opts.log }));
      if (variant === 'off') warmRate = rate;
    }
    const records = opts.records ?? sizeThroughputRecords(warmRate, opts.quick).records;
    const payload = records * opts.recordSizeBytes;
    log(`${records} records per produce run (warm-up with tracing off: ${Math.round(warmRate)} rec/s)`);

    const produce: TracingThroughputRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of tracingOrder(rep)) {
        const m = await measureRun(child(variant), () =>
          producePerf({ topic: topic('tput'), records, recordSizeBytes: opts.recordSizeBytes, throughput: -1, bootstrap: child(variant).bootstrapServers, clientId: `bench-trc-produce-${variant}`, log: opts.log }),
        );
        checkThroughTurnout(`tracing: produce ${variant}`, m.clientInBytes, payload);
        produce.push({ variant, rep, mbPerSec: m.value.mbPerSec, mb: payload / MB, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
        log(`produce ${TRACING_LABELS[variant].padEnd(13)} #${rep + 1}: ${m.value.mbPerSec.toFixed(2)} MB/s, Turnout CPU ${m.cpuSec?.toFixed(2) ?? '-'} s`);
      }
    }

    const consumeRecords = records * produce.length;
    const consume: TracingThroughputRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of tracingOrder(rep)) {
        const group = `bench-trc-consume-${variant}-${rep}-${opts.runId}`;
        const m = await measureRun(child(variant), () => consumePerf({ bootstrap: child(variant).bootstrapServers, topic: topic('tput'), records: consumeRecords, group, log: opts.log }));
        checkThroughTurnout(`tracing: consume ${variant}`, m.clientOutBytes, payload);
        const r = m.value;
        if (r.records < consumeRecords) throw new Error(`tracing: consume ${variant}: the consumer perf test read ${r.records} of ${consumeRecords} records`);
        consume.push({ variant, rep, mbPerSec: r.fetchMbPerSec, mb: r.mb, ...(m.cpuSec !== undefined ? { proxyCpuSec: m.cpuSec } : {}) });
        log(`consume ${TRACING_LABELS[variant].padEnd(13)} #${rep + 1}: ${r.fetchMbPerSec.toFixed(2)} MB/s while fetching, Turnout CPU ${m.cpuSec?.toFixed(2) ?? '-'} s`);
      }
    }

    const latencyRate = opts.latencyRate ?? moderateRate(median(produce.filter((r) => r.variant === 'off').map((r) => (r.mbPerSec * MB) / opts.recordSizeBytes)), opts.quick);
    const latencyRecords = latencyRate * opts.latencySeconds;
    const latency: TracingLatencyRun[] = [];
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const variant of tracingOrder(rep)) {
        const bootstrap = child(variant).bootstrapServers;
        const { probe } = await probeUnderLoad(
          { topic: topic('lat'), records: latencyRecords, recordSizeBytes: opts.recordSizeBytes, throughput: latencyRate, bootstrap, clientId: `bench-trc-latency-${variant}`, acks: opts.latencyAcks, log: opts.log },
          { bootstrap, topic: topic('probe'), ratePerSec: opts.probeRate, recordSizeBytes: opts.recordSizeBytes, acks: opts.latencyAcks === 'all' ? -1 : Number(opts.latencyAcks) },
          opts.latencySeconds * 1000,
        );
        latency.push({ variant, rep, probe });
        log(`latency ${TRACING_LABELS[variant].padEnd(13)} #${rep + 1}: probe p50 ${(probe.p50Us / 1000).toFixed(3)} ms, p99 ${(probe.p99Us / 1000).toFixed(3)} ms (${probe.count} round trips)`);
      }
    }

    // Stopping flushes each traced Turnout's last spans to its endpoint.
    for (const c of children.values()) await c.stop();
    children.clear();
    opts.onTurnouts([]);
    const exported = Object.fromEntries(TRACING_VARIANTS.map((v) => [v, { exports: sinks.get(v)?.exports ?? 0, bytes: sinks.get(v)?.bytes ?? 0 }])) as Record<TracingVariant, { exports: number; bytes: number }>;
    return summarizeTracing(
      { cluster: opts.cluster, records, consumeRecords, recordSizeBytes: opts.recordSizeBytes, repeat: opts.repeat, latencyRate, probeRate: opts.probeRate },
      produce,
      consume,
      latency,
      exported,
    );
  } finally {
    for (const c of children.values()) await c.stop().catch(() => undefined);
    opts.onTurnouts([]);
    for (const s of sinks.values()) await s.close();
    if (opts.deleteTopics) await deleteTopics(opts.bootstrap, KINDS.map(topic)).catch(() => undefined);
  }
}
