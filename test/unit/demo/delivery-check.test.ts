import { describe, expect, it } from 'vitest';
import { checkDelivery, type ExpectedRecord, type ReceivedRecord } from '../../../src/demo/delivery-check.js';

const headers = { source: 'turnout-demo' };

function expected(): ExpectedRecord[] {
  return [
    { partition: 0, offset: 10, key: 'a', value: 'a1', headers },
    { partition: 0, offset: 11, key: 'a', value: 'a2', headers },
    { partition: 1, offset: 0, key: 'b', value: 'b1', headers },
    { partition: 1, offset: 1, key: 'b', value: 'b2', headers },
  ];
}

function asReceived(e: ExpectedRecord[], withHeaders = true): ReceivedRecord[] {
  return e.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, ...(withHeaders ? { headers: { ...r.headers } } : {}) }));
}

describe('checkDelivery', () => {
  it('passes when every record arrives once, intact and in offset order per partition', () => {
    const want = expected();
    // Partitions interleave freely; only the order within a partition matters.
    const got = asReceived([want[2], want[0], want[3], want[1]] as ExpectedRecord[]);
    const report = checkDelivery('kafkajs', want, got);
    expect(report).toMatchObject({ ok: true, expected: 4, received: 4, missing: 0, duplicates: 0, corrupted: 0, outOfOrder: 0, unexpected: 0 });
    expect(report.perPartition).toEqual([
      { partition: 0, expected: 2, received: 2 },
      { partition: 1, expected: 2, received: 2 },
    ]);
  });

  it('does not compare headers for clients that do not report them', () => {
    expect(checkDelivery('kcat', expected(), asReceived(expected(), false)).ok).toBe(true);
  });

  it('counts a record that never arrived as missing', () => {
    const report = checkDelivery('kafkajs', expected(), asReceived(expected()).slice(0, 3));
    expect(report.ok).toBe(false);
    expect(report.missing).toBe(1);
    expect(report.problems).toEqual(['partition 1 offset 1: never received (key "b")']);
  });

  it('counts a record received twice as a duplicate', () => {
    const got = asReceived(expected());
    got.push({ ...(got[0] as ReceivedRecord) });
    const report = checkDelivery('kafkajs', expected(), got);
    expect(report).toMatchObject({ ok: false, duplicates: 1, received: 5 });
  });

  it('counts a record that arrives after a later offset of its partition as out of order', () => {
    const got = asReceived(expected());
    [got[0], got[1]] = [got[1] as ReceivedRecord, got[0] as ReceivedRecord];
    const report = checkDelivery('kafkajs', expected(), got);
    expect(report).toMatchObject({ ok: false, outOfOrder: 1, missing: 0 });
    expect(report.problems[0]).toBe('partition 0 offset 10: arrived after offset 11');
  });

  it('counts a changed value, key or header as corrupted', () => {
    const got = asReceived(expected());
    (got[0] as ReceivedRecord).value = 'a1-changed';
    (got[2] as ReceivedRecord).key = null;
    (got[3] as ReceivedRecord).headers = { source: 'elsewhere' };
    const report = checkDelivery('kafkajs', expected(), got);
    expect(report).toMatchObject({ ok: false, corrupted: 3 });
  });

  it('counts a record at an offset nothing was produced to as unexpected', () => {
    const got = asReceived(expected());
    got.push({ partition: 2, offset: 0, key: 'x', value: 'x' });
    const report = checkDelivery('kafkajs', expected(), got);
    expect(report).toMatchObject({ ok: false, unexpected: 1 });
    expect(report.perPartition.find((p) => p.partition === 2)).toEqual({ partition: 2, expected: 0, received: 1 });
  });

  it('fails when nothing was expected, so an empty run never passes', () => {
    expect(checkDelivery('kafkajs', [], []).ok).toBe(false);
  });

  it('keeps at most ten problems spelled out', () => {
    const want = Array.from({ length: 50 }, (_, i) => ({ partition: 0, offset: i, key: 'k', value: `v${i}`, headers }));
    const report = checkDelivery('kafkajs', want, []);
    expect(report.missing).toBe(50);
    expect(report.problems).toHaveLength(10);
  });
});
