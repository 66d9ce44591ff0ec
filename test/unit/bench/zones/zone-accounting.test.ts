import { describe, expect, it } from 'vitest';
import { parseClientEvent } from '../../../../bench/zones/client-events.js';
import { checkDelivery, readStamp, SeenRecords, stampRecord } from '../../../../bench/zones/record-payload.js';
import { countLeaders, leaderPathCross, leaderPathCrossPayload, runRatios, summarizeTraffic, type ZoneRunResult } from '../../../../bench/zones/traffic-report.js';
import { formatZoneReport, zoneJsonLine } from '../../../../bench/zones/zone-report.js';
import { assignmentComplete } from '../../../../bench/zones/workload.js';
import { parseLeaders } from '../../../../bench/zones/zone-topic.js';
import { parseZoneCounters } from '../../../../src/devkit/zone-rig.js';

describe('zone workload records', () => {
  it('stamps producer and sequence into a record and reads them back', () => {
    const value = stampRecord(Buffer.alloc(1024, 0xee), 2, 70_000);
    expect(value.length).toBe(1024);
    expect(readStamp(value)).toEqual({ producer: 2, seq: 70_000 });
    expect(readStamp(Buffer.alloc(3))).toBeUndefined();
  });

  it('proves exactly-once delivery over several consumers', () => {
    const a = new SeenRecords(2, 10);
    const b = new SeenRecords(2, 10);
    for (let seq = 0; seq < 10; seq++) (seq % 2 === 0 ? a : b).add({ producer: 0, seq });
    for (let seq = 0; seq < 10; seq++) b.add({ producer: 1, seq });
    expect(checkDelivery([a, b].map((s) => ({ bitmaps: s.encoded(), duplicates: s.duplicates, unexpected: s.unexpected })), 2, 10)).toEqual({
      expected: 20,
      delivered: 20,
      missing: 0,
      duplicates: 0,
      unexpected: 0,
      exactlyOnce: true,
    });
  });

  it('counts records missing, seen twice by one consumer or by two, and without a valid stamp', () => {
    const a = new SeenRecords(1, 8);
    const b = new SeenRecords(1, 8);
    for (let seq = 0; seq < 6; seq++) a.add({ producer: 0, seq });
    a.add({ producer: 0, seq: 1 });
    b.add({ producer: 0, seq: 2 });
    b.add({ producer: 3, seq: 0 });
    b.add({ producer: 0, seq: 8 });
    b.add(undefined);
    const check = checkDelivery([a, b].map((s) => ({ bitmaps: s.encoded(), duplicates: s.duplicates, unexpected: s.unexpected })), 1, 8);
    expect(check).toEqual({ expected: 8, delivered: 6, missing: 2, duplicates: 2, unexpected: 3, exactlyOnce: false });
  });

  it('waits for a group whose latest assignments split every partition', () => {
    expect(assignmentComplete([[0, 3], [1, 4], [2, 5]], 6)).toBe(true);
    expect(assignmentComplete([[0, 1, 2, 3, 4, 5], undefined, []], 6)).toBe(false);
    expect(assignmentComplete([[0, 1, 2], [2, 3], [4, 5]], 6)).toBe(false);
    expect(assignmentComplete([[0], [1], [2]], 6)).toBe(false);
  });

  it('accepts only well-formed client events', () => {
    expect(parseClientEvent('{"event":"assigned","partitions":[1,4]}')).toEqual({ event: 'assigned', partitions: [1, 4] });
    expect(parseClientEvent('{"event":"produced","records":"x"}')).toBeUndefined();
    expect(parseClientEvent('KafkaJS warning')).toBeUndefined();
  });

  it('reads partition leaders from kafka-topics --describe', () => {
    const text = 'Topic: t\tTopicId: x\tPartitionCount: 2\n\tTopic: t\tPartition: 0\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2\n\tTopic: t\tPartition: 1\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\n';
    expect([...parseLeaders(text)]).toEqual([[0, 3], [1, 1]]);
  });
});

const ZONES = ['az-a', 'az-b', 'az-c'];

describe('zone traffic accounting', () => {
  const delta = {
    readAtMs: 0,
    devices: parseZoneCounters(
      ZONES.flatMap((z, i) => [
        `${z} client client ${1000 * (i + 1)} ${500 * (i + 1)} 1 1`,
        `${z} repl repl 2000 2100 1 1`,
        `${z} ctrl ctrl 10 20 1 1`,
        `${z} local lo 300 300 1 1`,
      ]).join('\n'),
    ),
  };

  it('counts a byte between zones once, as sent by its zone, and control both ways', () => {
    const t = summarizeTraffic(delta);
    expect(t.client).toEqual({ outBytes: 6000, inBytes: 3000 });
    expect(t.replication).toEqual({ outBytes: 6000, inBytes: 6300 });
    expect(t.controlBytes).toBe(90);
    expect(t.localBytes).toBe(900);
    expect(t.perZone['az-b']).toEqual({ client: { outBytes: 2000, inBytes: 1000 }, replication: { outBytes: 2000, inBytes: 2100 }, controlBytes: 30, localBytes: 300 });
  });

  it('predicts the payload that crosses zones when clients use partition leaders', () => {
    const leaderZones = new Map([[0, 'az-a'], [1, 'az-b'], [2, 'az-c']]);
    const base = { zones: ZONES, recordsPerZone: 30, recordSize: 100, partitions: 3, leaderZones };
    // Each producer sends 10 records (1000 B) per partition, two of three partitions remote.
    const produce = 3 * 2 * 1000;
    expect(leaderPathCrossPayload({ ...base, consumerZones: new Map([[0, 'az-a'], [1, 'az-b'], [2, 'az-c']]) })).toBe(produce);
    // A partition read from another zone brings all 3000 B of it across.
    expect(leaderPathCrossPayload({ ...base, consumerZones: new Map([[0, 'az-b'], [1, 'az-b'], [2, 'az-c']]) })).toBe(produce + 3000);
    expect(leaderPathCross({ ...base, consumerZones: new Map([[0, 'az-b'], [1, 'az-b'], [2, 'az-c']]) })).toEqual({ produceBytes: produce, fetchBytes: 3000 });
    // 31 records: partition 0 gets one more per producer.
    expect(leaderPathCrossPayload({ ...base, recordsPerZone: 31, consumerZones: new Map([[0, 'az-b'], [1, 'az-b'], [2, 'az-c']]) })).toBe(3 * 2 * 1000 + 2 * 100 + 3 * 1100);
    expect(countLeaders(ZONES, new Map([[0, 'az-a'], [1, 'az-a']]))).toEqual({ 'az-a': 2, 'az-b': 0, 'az-c': 0 });
  });

  const run: ZoneRunResult = {
    mode: 'direct',
    records: 30,
    producedBytes: 3000,
    consumedBytes: 3000,
    delivery: { expected: 30, delivered: 30, missing: 0, duplicates: 0, unexpected: 0, exactlyOnce: true },
    traffic: summarizeTraffic(delta),
    leadersPerZone: { 'az-a': 1, 'az-b': 1, 'az-c': 1 },
    leaderPathCrossPayloadBytes: 4000,
    leaderPath: { produceBytes: 2000, fetchBytes: 2000 },
    fetchPath: 'leaders',
    elapsedMs: 1500,
    idle: { traffic: summarizeTraffic({ readAtMs: 0, devices: [] }), elapsedMs: 1000 },
    latencyMs: { '3': 10, '5': 10, '40': 10 },
    order: { brokenPartitions: [], overlappingOffsets: 0, skippedOffsets: 0, offsetRegressions: 0, readBreaks: 0, sequenceRegressions: 0, inOrder: true },
    consumerRestarts: 0,
    resume: { tenures: 6, redeliveredOffsets: 0, redeliveredByPartition: {}, misplaced: [] },
    group: { rejoins: 0, rebalancing: 0, commits: 12 },
  };
  const config = { zones: ZONES, recordsPerZone: 10, recordSize: 100, partitions: 3, replicationFactor: 3, kafkaVersion: '4.1.1' };

  it('derives the shares and ratios the report prints', () => {
    expect(runRatios(run)).toEqual({
      clientCrossShare: 6000 / 6900,
      clientCrossPerPayloadByte: 1,
      replicationPerProducedByte: 2,
      clientCrossPerLeaderPathByte: 1.5,
    });
  });

  it('prints a table with a column per mode and one JSON line', () => {
    const table = formatZoneReport(config, [run, { ...run, mode: 'turnout', delivery: { ...run.delivery, missing: 1, exactlyOnce: false } }]);
    const lines = table.split('\n');
    expect(lines[1]).toMatch(/^\s+direct\s+turnout$/);
    expect(table).toMatch(/cross-zone replication\s+0\.01 MiB/);
    expect(table).toMatch(/delivery\s+exactly once\s+1 missing, 0 duplicated, 0 unexpected/);
    expect(table).toMatch(/share of client wire bytes\s+87\.0%/);
    const json = JSON.parse(zoneJsonLine(config, [run])) as { bench: string; runs: Array<Record<string, unknown>> };
    expect(json.bench).toBe('zones');
    expect(json.runs[0]).toMatchObject({ mode: 'direct', crossZone: { clientBytes: 6000, replicationBytes: 6000 }, controlBytes: 90, exactlyOnce: true, replicationPerProducedByte: 2 });
  });
});
