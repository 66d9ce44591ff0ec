import { describe, expect, it } from 'vitest';
import { benchJsonLine, formatMachine } from '../../../bench/bench-report.js';
import type { ConsumerPerfResult, ProducerPerfResult } from '../../../bench/perf-output.js';
import type { ProbeLatency } from '../../../bench/produce-probe.js';
import { variantOrder } from '../../../bench/secure-case.js';
import { formatSecureReport, summarizeSecure, type SecureCaseConfig, type SecureConsumeRun, type SecureLatencyRun, type SecureProduceRun } from '../../../bench/secure-report.js';
import type { SecurityVariant } from '../../../bench/secure-turnout.js';

const config: SecureCaseConfig = {
  cluster: 'bench',
  kafkaVersion: '4.1.1',
  records: 100_000,
  consumeRecords: 600_000,
  recordSizeBytes: 1024,
  repeat: 2,
  partitions: 6,
  replicationFactor: 3,
  acks: 'all',
  latencyAcks: '1',
  latencyRate: 2_000,
  latencyRecords: 20_000,
  probeRate: 200,
  mechanism: 'SCRAM-SHA-512',
  aclBindings: 103,
};

function perf(mbPerSec: number, p50Ms = 5, p99Ms = 20, recordsPerSec = mbPerSec * 1024): ProducerPerfResult {
  return { records: 100_000, recordsPerSec, mbPerSec, avgLatencyMs: 6, maxLatencyMs: 50, p50Ms, p95Ms: 15, p99Ms, p999Ms: 40 };
}

function fetched(fetchMbPerSec: number): ConsumerPerfResult {
  return { records: 600_000, mb: 585.9, mbPerSec: fetchMbPerSec / 2, recordsPerSec: 0, rebalanceMs: 3_000, fetchMs: 5_000, fetchMbPerSec, fetchRecordsPerSec: fetchMbPerSec * 1024 };
}

function probe(p50Us: number, p99Us: number, count = 1_500): ProbeLatency {
  return { count, errors: 0, p50Us, p90Us: p50Us * 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3, meanUs: p50Us * 1.2 };
}

/** Per repetition: produce MB/s, consume MB/s, probe p50 µs of plaintext, TLS + SCRAM, TLS + SCRAM + ACLs. */
const MEASURED: Record<SecurityVariant, Array<[number, number, number]>> = {
  plain: [[10, 100, 1_000], [12, 110, 1_100]],
  'tls-sasl': [[9.6, 80, 1_200], [11.4, 90, 1_260]],
  'tls-sasl-acl': [[9.5, 78, 1_230], [11.5, 88, 1_300]],
};

function runs(): { produce: SecureProduceRun[]; consume: SecureConsumeRun[]; latency: SecureLatencyRun[] } {
  const produce: SecureProduceRun[] = [];
  const consume: SecureConsumeRun[] = [];
  const latency: SecureLatencyRun[] = [];
  for (const [variant, reps] of Object.entries(MEASURED) as Array<[SecurityVariant, Array<[number, number, number]>]>) {
    reps.forEach(([p, c, p50], rep) => {
      produce.push({ variant, rep, result: perf(p), durationMs: 10_000, proxyCpuSec: 1 });
      consume.push({ variant, rep, result: fetched(c), durationMs: 5_000, proxyCpuSec: 2 });
      latency.push({ variant, rep, perf: perf(2, 3, 9, 2_000), probe: probe(p50, p50 * 4) });
    });
  }
  return { produce, consume, latency };
}

describe('summarizeSecure', () => {
  it('compares TLS + SCRAM + ACLs with plaintext, and splits the difference into TLS + SCRAM and the ACL check, per repetition', () => {
    const r = runs();
    const s = summarizeSecure(config, r.produce, r.consume, r.latency);
    expect(s.produceRatio.runs.map((x) => x.toFixed(3))).toEqual(['0.950', '0.958']);
    expect(s.consumeRatio.runs.map((x) => x.toFixed(3))).toEqual(['0.780', '0.800']);
    expect(s.consumeRatio.value).toBeCloseTo(0.79, 6);
    expect(s.tlsConsumeRatio.runs.map((x) => x.toFixed(3))).toEqual(['0.800', '0.818']);
    expect(s.aclConsumeRatio.runs.map((x) => x.toFixed(3))).toEqual(['0.975', '0.978']);
    expect(s.addedP50Ms.runs).toEqual([0.23, 0.2]);
    expect(s.aclP50Ms.runs.map((x) => x.toFixed(3))).toEqual(['0.030', '0.040']);
    expect(s.aclP50Ms.value).toBeCloseTo(0.035, 6);
    expect(s.goals).toEqual({ produceRatio: true, consumeRatio: false, aclProduceRatio: true, aclConsumeRatio: true, aclP50: true });
    expect(s.variants.plain.produce.proxyCores).toBeCloseTo(0.1, 6);
    // 1 s of CPU for 100,000 records of 1 KiB (97.66 MB).
    expect(s.variants.plain.produce.cpuMsPerMb).toBeCloseTo(1000 / 97.65625, 3);
    expect(s.variants['tls-sasl-acl'].latency.probeP50Us).toBe(1_265);
  });

  it('leaves the ACL latency goal inconclusive when the probe had too few round trips', () => {
    const r = runs();
    const latency = r.latency.map((l) => (l.variant === 'tls-sasl' && l.rep === 1 ? { ...l, probe: probe(1_260, 5_000, 120) } : l));
    const s = summarizeSecure(config, r.produce, r.consume, latency);
    expect(s.goals.aclP50).toBeNull();
    expect(s.notes.join('\n')).toContain('TLS + SCRAM #2 120 round trips');
  });

  it('fails the ACL latency goal when the check adds a measurable p50', () => {
    const r = runs();
    const latency = r.latency.map((l) => (l.variant === 'tls-sasl-acl' ? { ...l, probe: probe(l.probe.p50Us + 400, 6_000) } : l));
    expect(summarizeSecure(config, r.produce, r.consume, latency).goals.aclP50).toBe(false);
  });
});

describe('formatSecureReport', () => {
  it('shows each setting side by side, the ratios, the ACL check alone and the verdicts', () => {
    const r = runs();
    const text = formatSecureReport(summarizeSecure(config, r.produce, r.consume, r.latency)).join('\n');
    expect(text).toContain('plaintext                 TLS + SCRAM               TLS + SCRAM + ACLs        secured/plaintext');
    expect(text).toContain('0.954 (runs: 0.950, 0.958)');
    expect(text).toContain('TLS + SCRAM/plaintext 0.809, with ACLs/without 0.976');
    expect(text).toContain('p50 +0.035 ms (runs: 0.030, 0.040)');
    expect(text).toContain('produce throughput secured/plaintext >= 0.95: met (0.954)');
    expect(text).toContain('consume throughput secured/plaintext >= 0.95: NOT met (0.790)');
    expect(text).toContain("the ACL check's share, TLS + SCRAM with ACLs/without >= 0.95: produce met (0.999), consume met (0.976)");
    expect(text).toContain("the ACL check adds less than 0.1 ms to the probe's p50: met (+0.035 ms)");
  });
});

describe('variantOrder', () => {
  it('rotates the settings so that each goes first once in three repetitions', () => {
    expect([0, 1, 2].map(variantOrder)).toEqual([
      ['plain', 'tls-sasl', 'tls-sasl-acl'],
      ['tls-sasl', 'tls-sasl-acl', 'plain'],
      ['tls-sasl-acl', 'plain', 'tls-sasl'],
    ]);
  });
});

describe('the secured case in the bench report', () => {
  it('adds its section to the report and its numbers to the JSON line, or stands alone with the machine when only it ran', () => {
    const r = runs();
    const secure = summarizeSecure(config, r.produce, r.consume, r.latency);
    const machine = { cores: 2, loadAverage: { start: 1.5, end: 3.25 } };
    const parsed = JSON.parse(benchJsonLine({ ...machine, secure })) as { bench: string; cores: number; secure: { produceRatio: { value: number }; goals: object } };
    expect(parsed).toMatchObject({ bench: 'turnout', cores: 2, secure: { produceRatio: { value: 0.954 }, goals: { produceRatio: true, consumeRatio: false, aclP50: true } } });
    expect(formatMachine(machine).join('\n')).toContain('secured case only: 2 cores, load average 1.5 before it started, 3.3 at the end');
    expect(formatSecureReport(secure)[1]).toBe('Secured listener: one Turnout per setting in front of cluster bench (Kafka 4.1.1), the same records through each');
  });
});
