import { describe, expect, it } from 'vitest';
import { benchJsonLine } from '../../../bench/bench-report.js';
import type { ProbeLatency } from '../../../bench/produce-probe.js';
import { tracingOrder, tracingSection } from '../../../bench/tracing-case.js';
import { formatTracingReport, summarizeTracing, TRACING_VARIANTS, type TracingCaseConfig, type TracingLatencyRun, type TracingThroughputRun, type TracingVariant } from '../../../bench/tracing-report.js';
import { parseConfigYaml } from '../../../src/policy/config.js';

const config: TracingCaseConfig = { cluster: 'bench', records: 30_000, consumeRecords: 270_000, recordSizeBytes: 1024, repeat: 2, latencyRate: 2_000, probeRate: 200 };

function probe(p50Us: number, p99Us: number): ProbeLatency {
  return { count: 1_000, errors: 0, p50Us, p90Us: p50Us * 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3, meanUs: p50Us };
}

/** Per repetition: produce MB/s, produce CPU s, consume MB/s, consume CPU s, probe p50 µs. */
const MEASURED: Record<TracingVariant, Array<[number, number, number, number, number]>> = {
  off: [[10, 3, 100, 2, 1_000], [12, 3.6, 110, 2, 1_100]],
  'sampled-1pct': [[9.9, 3.1, 99, 2.1, 1_010], [11.7, 3.6, 108, 2.2, 1_130]],
  'sampled-all': [[8, 4.5, 80, 3, 1_200], [9, 5.4, 99, 3, 1_400]],
};

function runs(): { produce: TracingThroughputRun[]; consume: TracingThroughputRun[]; latency: TracingLatencyRun[] } {
  const produce: TracingThroughputRun[] = [];
  const consume: TracingThroughputRun[] = [];
  const latency: TracingLatencyRun[] = [];
  for (const variant of TRACING_VARIANTS) {
    MEASURED[variant].forEach(([p, pCpu, c, cCpu, p50], rep) => {
      produce.push({ variant, rep, mbPerSec: p, mb: 30, proxyCpuSec: pCpu });
      consume.push({ variant, rep, mbPerSec: c, mb: 270, proxyCpuSec: cCpu });
      latency.push({ variant, rep, probe: probe(p50, p50 * 5) });
    });
  }
  return { produce, consume, latency };
}

const exported = { off: { exports: 0, bytes: 0 }, 'sampled-1pct': { exports: 4, bytes: 40_000 }, 'sampled-all': { exports: 300, bytes: 9_000_000 } };

describe('the tracing case', () => {
  it('compares each sampled setting with tracing off, repetition by repetition', () => {
    const { produce, consume, latency } = runs();
    const s = summarizeTracing(config, produce, consume, latency, exported);
    expect(s.variants.off.produceMbPerSec).toBe(11);
    expect(s.variants.off.produceCpuMsPerMb).toBeCloseTo(110, 6);
    expect(s.variants['sampled-all'].exports).toBe(300);
    const all = s.vsOff['sampled-all'];
    expect(all.produceRatios.map((r) => r.toFixed(3))).toEqual(['0.800', '0.750']);
    expect(all.produceRatio).toBeCloseTo(0.775, 6);
    expect(all.consumeRatio).toBeCloseTo((0.8 + 0.9) / 2, 6);
    expect(all.produceCpuRatio).toBeCloseTo(1.5, 6);
    expect(all.consumeCpuRatio).toBeCloseTo(1.5, 6);
    expect(all.addedP50Ms).toBeCloseTo(0.25, 6);
    expect(all.addedP99Ms).toBeCloseTo(1.25, 6);
    expect(s.vsOff['sampled-1pct'].produceRatio).toBeCloseTo((0.99 + 0.975) / 2, 6);
  });

  it('prints the settings side by side with the ratios, and rides in the JSON line', () => {
    const { produce, consume, latency } = runs();
    const s = summarizeTracing(config, produce, consume, latency, exported);
    const text = formatTracingReport(s).join('\n');
    expect(text).toContain('tracing off');
    expect(text).toContain('100% sampled');
    expect(text).toMatch(/traced\/off: tput\s+produce 0\.982, consume 0\.986\s+produce 0\.775, consume 0\.850/);
    expect(text).toMatch(/traced\/off: CPU\/MB\s+produce 1\.017, consume 1\.075\s+produce 1\.500, consume 1\.500/);
    const parsed = JSON.parse(benchJsonLine({ cores: 2, loadAverage: { start: 1, end: 2 }, tracing: s })) as { tracing: { vsOff: { 'sampled-all': { produceRatio: number } } } };
    expect(parsed.tracing.vsOff['sampled-all'].produceRatio).toBe(0.775);
  });

  it('rotates the settings between repetitions', () => {
    expect([0, 1, 2, 3].map((rep) => tracingOrder(rep)[0])).toEqual(['off', 'sampled-1pct', 'sampled-all', 'off']);
  });

  it('starts each setting with its tracing section, a valid configuration', () => {
    const base = ['virtualCluster: { clusterId: bench }', 'listeners: [{ bootstrapPort: 1, nodePortBase: 0 }]', 'backends: [{ name: bench, bootstrapServers: ["127.0.0.1:9092"] }]', ''].join('\n');
    expect(parseConfigYaml(base + tracingSection('off', 'http://127.0.0.1:1/v1/traces')).tracing.enabled).toBe(false);
    expect(parseConfigYaml(base + tracingSection('sampled-1pct', 'http://127.0.0.1:1/v1/traces')).tracing).toMatchObject({ enabled: true, samplingRatio: 0.01, endpoint: 'http://127.0.0.1:1/v1/traces' });
    expect(parseConfigYaml(base + tracingSection('sampled-all', 'http://127.0.0.1:1/v1/traces')).tracing.samplingRatio).toBe(1);
  });
});
