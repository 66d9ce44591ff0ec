import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../../src/demo/demo-flow.js';
import { formatDemoSummary } from '../../../src/demo/demo-summary.js';
import type { DeliveryReport } from '../../../src/demo/delivery-check.js';
import type { DemoCutover } from '../../../src/demo/demo-cutovers.js';
import { formatBytes, formatMs } from '../../../src/demo/summary-format.js';

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

const lat = { count: 20, p50: 4.2, p99: 12.5, max: 13, mean: 5 };
const stats = (records: number) => ({ records, payloadBytes: 338_700, requests: 20, durationMs: 1_500, recordsPerSec: records / 1.5, mbPerSec: 0.23, ackLatencyMs: lat });

function cutover(number: number, from: string, to: string): DemoCutover {
  return {
    number,
    id: `c${number}`,
    from,
    to,
    phase: 'SWITCHED',
    phases: [
      { phase: 'PLANNED', afterMs: 2 },
      { phase: 'PREPARED', afterMs: 1_010 },
      { phase: 'HOLDING', afterMs: 1_012 },
      { phase: 'DRAINED', afterMs: 1_090 },
      { phase: 'SWITCHED', afterMs: 1_224 },
    ],
    holdMs: 212,
    holdWindow: { fromMs: 1_000, toMs: 1_212 },
    durationMs: 1_430,
    rollbackReason: null,
    switchPoints: [],
    generations: {},
  };
}

const node = (nodeId: number, port: number, rack: string) => ({ nodeId, host: '127.0.0.1', port, rack });

function result(over: Partial<DemoResult> = {}): DemoResult {
  return {
    ok: true,
    clusters: [
      { name: 'east', label: 'cluster demo-east', kafkaVersion: '4.1.1', bootstrapServers: ['127.0.0.1:30140'], view: { clusterId: 'eastClusterIdAAAAAAAAA', controllerId: 1, brokers: [node(1, 30140, 'az-a'), node(2, 30141, 'az-b'), node(3, 30142, 'az-c')] } },
      { name: 'west', label: 'cluster demo-west', kafkaVersion: '3.9.1', bootstrapServers: ['127.0.0.1:30240'], view: { clusterId: 'westClusterIdAAAAAAAAA', controllerId: 1, brokers: [node(1, 30240, 'az-a'), node(2, 30241, 'az-b'), node(3, 30242, 'az-c')] } },
    ],
    turnout: {
      clusterId: 'tUrNoUtDeMoViRtUaLcLu0',
      zones: [
        { zone: 'az-a', bootstrap: '127.0.0.1:36871', nodes: [node(1, 41739, 'az-a'), node(2, 41740, 'az-a')] },
        { zone: 'az-b', bootstrap: '127.0.0.1:36872', nodes: [node(11, 41741, 'az-b')] },
        { zone: 'az-c', bootstrap: '127.0.0.1:36873', nodes: [node(21, 41742, 'az-c')] },
      ],
      adminUrl: 'http://127.0.0.1:37541',
      configFile: '/tmp/turnout-demo-x/turnout.yaml',
    },
    domains: [
      { name: 'orders', topics: 'orders.*', backend: 'east', migrationTarget: 'west', now: 'west' },
      { name: 'payments', topics: 'payments.*', backend: 'west', migrationTarget: null, now: 'west' },
    ],
    topics: [
      { name: 'orders.events', domain: 'orders', partitions: 6, replicationFactor: 3 },
      { name: 'payments.events', domain: 'payments', partitions: 3, replicationFactor: 3 },
    ],
    produce: [
      { topic: 'orders.events', client: 'orders-service', zone: 'az-a', stats: stats(2_000), failure: null },
      { topic: 'payments.events', client: 'payments-service', zone: 'az-c', stats: stats(400), failure: null },
    ],
    groups: [
      { group: 'orders-billing-x', topic: 'orders.events', zones: ['az-a', 'az-b', 'az-c'], rebalances: 0, crashes: [] },
      { group: 'payments-ledger-x', topic: 'payments.events', zones: ['az-b'], rebalances: 0, crashes: [] },
    ],
    clients: [
      { client: 'kafkajs group orders-billing-x', report: report('kafkajs'), durationMs: 1_400, endToEndLatencyMs: lat },
      { client: 'kcat', report: report('kcat'), durationMs: 402 },
      { client: 'Java console consumer', report: report('Java console consumer'), durationMs: 7_770 },
    ],
    cutover: { domain: 'orders', status: 'switched', reason: null, cutovers: [cutover(1, 'east', 'west'), cutover(2, 'west', 'east'), cutover(3, 'east', 'west')] },
    holds: [
      { cutover: 1, orders: { requests: 5, maxAckMs: 240 }, payments: { requests: 3, maxAckMs: 12 } },
      { cutover: 2, orders: { requests: 4, maxAckMs: 230 }, payments: { requests: 0, maxAckMs: null } },
      { cutover: 3, orders: { requests: 4, maxAckMs: 250 }, payments: { requests: 2, maxAckMs: 11 } },
    ],
    segments: {
      source: 'turnout',
      partitions: [
        {
          topic: 'orders.events',
          partition: 0,
          virtualEnd: 1_702,
          segments: [
            { index: 0, backend: 'east', generation: 0, firstOffset: 0, endOffset: 412, shift: 0, realFirst: 0, realEnd: 412, records: 412 },
            { index: 1, backend: 'west', generation: 1, firstOffset: 412, endOffset: 831, shift: 412, realFirst: 0, realEnd: 419, records: 419 },
            { index: 2, backend: 'east', generation: 2, firstOffset: 831, endOffset: 1_251, shift: 419, realFirst: 412, realEnd: 832, records: 420 },
            { index: 3, backend: 'west', generation: 3, firstOffset: 1_251, endOffset: 1_702, shift: 832, realFirst: 419, realEnd: 870, records: 451 },
          ],
        },
      ],
      stored: { ok: true, problems: [] },
    },
    zones: {
      zones: ['az-a', 'az-b', 'az-c'],
      pairs: [
        { clientZone: 'az-a', brokerZone: 'az-a', crossZone: false, toBrokerBytes: 614_600, fromBrokerBytes: 2_720_000 },
        { clientZone: 'az-a', brokerZone: 'az-b', crossZone: true, toBrokerBytes: 349_100, fromBrokerBytes: 10_200 },
        { clientZone: null, brokerZone: 'az-a', crossZone: false, toBrokerBytes: 1_000, fromBrokerBytes: 9_000 },
      ],
      crossZone: { toBrokerBytes: 349_100, fromBrokerBytes: 10_200 },
      total: { toBrokerBytes: 963_700, fromBrokerBytes: 2_730_200 },
      fetchedRecordBytes: { sameZone: 2_600_000, otherZone: 0, fromFollowers: 1_700_000 },
      clientsByZone: [{ zone: 'az-a', connections: 4 }],
    },
    kafkajsSaw: { clusterId: 'tUrNoUtDeMoViRtUaLcLu0', brokers: ['127.0.0.1:41739'] },
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
  it('shows the clusters, the virtual cluster by zone, the cutovers, the segments, the zone bytes and the checks', () => {
    const text = formatDemoSummary(result()).join('\n');
    expect(text).toContain('Turnout demo: PASSED');
    expect(text).toContain('  Kafka    east  Kafka 4.1.1, cluster demo-east: 3 brokers in racks az-a, az-b, az-c');
    expect(text).toContain('           west  Kafka 3.9.1, cluster demo-west: 3 brokers in racks az-a, az-b, az-c');
    expect(text).toContain('one virtual cluster, a listener per zone: az-a 127.0.0.1:36871, az-b 127.0.0.1:36872, az-c 127.0.0.1:36873');
    expect(text).toContain('orders    orders.*    on east, migration target west; after the cutovers on west');
    expect(text).toContain('a client in az-b sees one broker, node 11 127.0.0.1:41741 (rack az-b), leading every partition of both clusters');
    expect(text).toContain('a client in az-a sees nodes 1 127.0.0.1:41739, 2 127.0.0.1:41740 (rack az-a)');
    expect(text).toContain('real: east eastClusterIdAAAAAAAAA, west westClusterIdAAAAAAAAA');
    expect(text).toMatch(/ 1 {2}east -> west {3}1\.43 s {4}212\.0 ms {2}5 \(longest 240\.0 ms\) +3 \(longest 12\.0 ms\)/);
    expect(text).toMatch(/ 2 {2}west -> east .*none in flight/);
    expect(text).toContain('phases of cutover 1, ms after the request: PLANNED 2, PREPARED 1010, HOLDING 1012, DRAINED 1090, SWITCHED 1224');
    expect(text).toContain('group orders-billing-x (az-a, az-b, az-c): no rebalance');
    expect(text).toContain("Partition orders.events-0: one log to its clients, 4 segment(s) on the clusters (Turnout's segment chains)");
    expect(text).toMatch(/\n {2}3 +west +1251\.\.1701 +419\.\.869 +\+832 +3 +451\n/);
    expect(text).toContain("all 1 partitions: each cluster holds exactly its segments' records, back to back");
    expect(text).toMatch(/az-a +az-b +349\.1 kB +10\.2 kB {2}crosses zones/);
    expect(text).toContain('crossed zones: 349.1 kB of 963.7 kB to brokers (36.2%');
    expect(text).toContain("records fetched for clients: 2.60 MB, 100.0% from a replica in the client's own zone (1.70 MB from followers)");
    expect(text).toContain("Turnout's own requests (metadata, offsets, coordinators; no client zone): 10.0 kB");
    expect(text).toMatch(/orders\.events {4}orders-service, az-a {4}2,000 events, 338\.7 kB in 1\.50 s \(1,333\/s\); 20 requests acknowledged in p50 4\.20 ms, p99 12\.5 ms/);
    expect(text).toMatch(/kafkajs group orders-billing-x +2,000\/2,000 +intact, in order per partition +produce-to-consume p50 4\.20 ms/);
    expect(text).toMatch(/kcat \(librdkafka\) +2,000\/2,000 +intact, in order per partition +read in 402\.0 ms/);
    expect(text).toContain('no broker address or id of either cluster reached a client');
    expect(text).toContain('requests: Produce 60, Fetch 38, Metadata 16');
    expect(text).not.toContain('WARNING');
    expect(text).not.toContain('\u001b[');
  });

  it('says the cutover was not shown, with a warning under the verdict, when the build has none', () => {
    const text = formatDemoSummary(
      result({
        cutover: { domain: 'orders', status: 'unavailable', reason: 'this build of Turnout has no cutover: POST /v1/cutovers answered 405', cutovers: [] },
        holds: [],
        segments: { ...result().segments, source: 'no-cutover' },
      }),
    ).join('\n');
    expect(text).toMatch(/Turnout demo: PASSED\nWARNING: the cutover was not shown: this build of Turnout has no cutover: POST \/v1\/cutovers answered 405\n/);
    expect(text).toContain('  not shown: this build of Turnout has no cutover');
    expect(text).not.toContain('#  move');
    expect(text).toContain("(before any cutover: one segment on the domain's cluster)");
  });

  it('names a cutover that rolled back and a cluster that holds other records than its segments', () => {
    const rolledBack = { ...cutover(1, 'east', 'west'), phase: 'ROLLED_BACK' as const, rollbackReason: 'a produce request to east failed during the drain' };
    const text = formatDemoSummary(
      result({
        ok: false,
        cutover: { domain: 'orders', status: 'failed', reason: 'cutover 1 (east -> west) rolled back: a produce request to east failed during the drain', cutovers: [rolledBack] },
        segments: { ...result().segments, stored: { ok: false, problems: ['orders.events-0 on east: the log ends at 420, its segments at 412'] } },
      }),
    ).join('\n');
    expect(text).toContain('Turnout demo: FAILED');
    expect(text).toContain('ROLLED_BACK: a produce request to east failed during the drain');
    expect(text).toContain('FAILED: cutover 1 (east -> west) rolled back');
    expect(text).toContain('the clusters do not hold what the segments say:\n      orders.events-0 on east: the log ends at 420, its segments at 412');
  });

  it('spells out what went wrong for a client, a rebalance and a producer that stopped', () => {
    const bad = report('kafkajs', { ok: false, received: 1_999, missing: 2, duplicates: 1, problems: ['partition 1 offset 7: never received (key "c")'] });
    const text = formatDemoSummary(
      result({
        ok: false,
        clients: [{ client: 'kafkajs group orders-billing-x', report: bad, durationMs: 1 }],
        groups: [{ group: 'orders-billing-x', topic: 'orders.events', zones: ['az-a'], rebalances: 2, crashes: [] }],
        produce: [{ topic: 'orders.events', client: 'orders-service', zone: 'az-a', stats: stats(10), failure: 'KafkaJSNumberOfRetriesExceeded: timeout' }],
      }),
    ).join('\n');
    expect(text).toContain('Turnout demo: FAILED');
    expect(text).toMatch(/kafkajs group orders-billing-x +1,999\/2,000 +2 missing, 1 duplicated/);
    expect(text).toContain('      partition 1 offset 7: never received (key "c")');
    expect(text).toContain('group orders-billing-x (az-a): 2 rebalance(s)');
    expect(text).toContain('stopped early: KafkaJSNumberOfRetriesExceeded: timeout');
  });

  it('warns under the verdict about a client that is not installed, and names a leak', () => {
    const text = formatDemoSummary(
      result({ clients: [{ client: 'kcat', notInstalled: 'kcat is not installed', durationMs: 0 }], leaks: ['node 1 is advertised at broker address 127.0.0.1:30140'] }),
    ).join('\n');
    expect(text).toMatch(/Turnout demo: \w+\nWARNING: kcat \(librdkafka\) was not checked: kcat is not installed\n/);
    expect(text).toMatch(/kcat \(librdkafka\) +NOT CHECKED: kcat is not installed/);
    expect(text).toContain('LEAKED to a client: node 1 is advertised at broker address 127.0.0.1:30140');
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
