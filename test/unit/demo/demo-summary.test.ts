import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../../src/demo/demo-flow.js';
import { formatBytes, formatDemoSummary, formatMs } from '../../../src/demo/demo-summary.js';
import type { DeliveryReport } from '../../../src/demo/delivery-check.js';

function report(client: string, over: Partial<DeliveryReport> = {}): DeliveryReport {
  return {
    client,
    expected: 2_000,
    received: 2_000,
    missing: 0,
    duplicates: 0,
    corrupted: 0,
    outOfOrder: 0,
    unexpected: 0,
    perPartition: [],
    problems: [],
    ok: true,
    ...over,
  };
}

function result(over: Partial<DemoResult> = {}): DemoResult {
  const lat = { count: 20, p50: 4.2, p99: 12.5, max: 13, mean: 5 };
  return {
    ok: true,
    backend: { label: 'cluster demo', kafkaVersion: '4.1.1', bootstrapServers: ['127.0.0.1:30140', '127.0.0.1:30141', '127.0.0.1:30142'] },
    turnout: { bootstrapServers: '127.0.0.1:36871', nodePorts: { '0': 41739, '1': 41185, '2': 39539 }, adminUrl: 'http://127.0.0.1:37541' },
    topic: { name: 'orders', partitions: 6, replicationFactor: 3 },
    produce: { records: 2_000, payloadBytes: 338_700, requests: 20, durationMs: 1_500, recordsPerSec: 1_333.3, mbPerSec: 0.23, ackLatencyMs: lat },
    clients: [
      { client: 'kafkajs', report: report('kafkajs'), durationMs: 1_400, endToEndLatencyMs: lat },
      { client: 'kcat', report: report('kcat'), durationMs: 402 },
      { client: 'Java console consumer', report: report('Java console consumer'), durationMs: 7_770 },
    ],
    seen: {
      clusterId: 'tUrNoUtDeMoViRtUaLcLu0',
      controllerId: 0,
      brokers: [{ nodeId: 0, host: '127.0.0.1', port: 41739, rack: 'az-a' }],
    },
    real: {
      clusterId: 'eiPWXXqGH37wNQJQ6mCOyA',
      controllerId: 1,
      brokers: [
        { nodeId: 1, host: '127.0.0.1', port: 30140, rack: 'az-a' },
        { nodeId: 2, host: '127.0.0.1', port: 30141, rack: 'az-b' },
        { nodeId: 3, host: '127.0.0.1', port: 30142, rack: 'az-c' },
      ],
    },
    kafkajsSaw: { clusterId: 'tUrNoUtDeMoViRtUaLcLu0', brokers: ['127.0.0.1:41739'] },
    nodes: [
      {
        virtual: { nodeId: 0, host: '127.0.0.1', port: 41739, rack: 'az-a' },
        real: { nodeId: 1, host: '127.0.0.1', port: 30140, rack: 'az-a' },
        partitions: [0, 3],
        records: 406,
        payloadBytes: 68_800,
      },
    ],
    leaks: [],
    traffic: {
      clientInBytes: 456_800,
      clientOutBytes: 1_340_000,
      upstreamInBytes: 1_340_000,
      upstreamOutBytes: 456_500,
      requests: { Produce: 60, Fetch: 38, Metadata: 16 },
      answeredLocally: { ApiVersions: 13 },
    },
    durationMs: 32_270,
    ...over,
  };
}

describe('formatDemoSummary', () => {
  it('shows the verdict, both views of the cluster, the counts and the metrics', () => {
    const text = formatDemoSummary(result()).join('\n');
    expect(text).toContain('Turnout demo: PASSED');
    expect(text).toContain('Kafka    4.1.1, cluster demo: 3 brokers in racks az-a, az-b, az-c');
    expect(text).toContain('cluster id  tUrNoUtDeMoViRtUaLcLu0');
    expect(text).toContain('real: eiPWXXqGH37wNQJQ6mCOyA');
    expect(text).toMatch(/node 0 {2}127\.0\.0\.1:41739 {2}az-a +-> {2}broker 1 {2}127\.0\.0\.1:30140 {2}az-a +leads 0,3: 406 records, 68\.8 kB/);
    expect(text).toContain('2,000 order events (338.7 kB of keys and values) in 1.50 s: 1,333 records/s, 0.23 MB/s');
    expect(text).toMatch(/kafkajs +2,000\/2,000 +intact, in order per partition +produce-to-consume p50 4\.20 ms, p99 12\.5 ms/);
    expect(text).toMatch(/kcat \(librdkafka\) +2,000\/2,000 +intact, in order per partition +read in 402\.0 ms/);
    expect(text).toContain('no broker address or id of the real cluster reached the client');
    expect(text).toContain('requests: Produce 60, Fetch 38, Metadata 16');
    expect(text).toContain('answered by Turnout itself: ApiVersions 13');
    expect(text).not.toContain('\u001b[');
  });

  it('spells out what went wrong for a client that failed the check', () => {
    const bad = report('kafkajs', { ok: false, received: 1_999, missing: 2, duplicates: 1, problems: ['partition 1 offset 7: never received (key "c")'] });
    const text = formatDemoSummary(result({ ok: false, clients: [{ client: 'kafkajs', report: bad, durationMs: 1 }] })).join('\n');
    expect(text).toContain('Turnout demo: FAILED');
    expect(text).toMatch(/kafkajs +1,999\/2,000 +2 missing, 1 duplicated/);
    expect(text).toContain('      partition 1 offset 7: never received (key "c")');
  });

  it('warns under the verdict about a client that is not installed, and names a leak', () => {
    const text = formatDemoSummary(
      result({ clients: [{ client: 'kcat', notInstalled: 'kcat is not installed', durationMs: 0 }], leaks: ['node 0 is advertised at broker address 127.0.0.1:30140'] }),
    ).join('\n');
    expect(text).toMatch(/Turnout demo: \w+\nWARNING: kcat \(librdkafka\) was not checked: kcat is not installed\n/);
    expect(text).toMatch(/kcat \(librdkafka\) +NOT CHECKED: kcat is not installed/);
    expect(text).toContain('LEAKED to the client: node 0 is advertised at broker address 127.0.0.1:30140');
  });

  it('colours the verdict only when asked', () => {
    expect(formatDemoSummary(result(), { color: true }).join('\n')).toContain('\u001b[32mPASSED\u001b[0m');
  });
});

describe('formatting', () => {
  it('formats bytes and durations', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(68_800)).toBe('68.8 kB');
    expect(formatBytes(1_340_000)).toBe('1.34 MB');
    expect(formatMs(4.2)).toBe('4.20 ms');
    expect(formatMs(402)).toBe('402.0 ms');
    expect(formatMs(11_180)).toBe('11.18 s');
    expect(formatMs(Number.NaN)).toBe('-');
  });
});
