import { describe, expect, it } from 'vitest';
import { scanRecordBatches } from '../../../src/codec/record-batch.js';
import { singleRecordBatch, summarizeProbe } from '../../../bench/produce-probe.js';

describe('singleRecordBatch', () => {
  it('builds a valid v2 batch of one record with a correct CRC32C', () => {
    const value = Buffer.alloc(1024, 0x61);
    const batch = singleRecordBatch(value, 1_795_735_455_435n);
    const scan = scanRecordBatches(batch);
    expect(scan.batches).toHaveLength(1);
    expect(scan.trailingPartialBytes).toBe(0);
    const b = scan.batches[0];
    expect(b?.magic).toBe(2);
    expect(b?.recordCount).toBe(1);
    expect(b?.producerId).toBe(-1);
    expect(b?.baseTimestamp).toBe(1_795_735_455_435);
    expect(b?.verifyCrc()).toBe(true);
    // The value is the batch's last bytes, followed by a zero header count.
    expect(batch.subarray(batch.length - 1025, batch.length - 1).equals(value)).toBe(true);
    expect(batch[batch.length - 1]).toBe(0);
  });
});

describe('summarizeProbe', () => {
  it('takes percentiles in microseconds', () => {
    const samples = Array.from({ length: 1_000 }, (_, i) => i + 1);
    expect(summarizeProbe(samples, 2)).toEqual({ count: 1_000, errors: 2, p50Us: 500, p90Us: 900, p99Us: 990, p999Us: 999, maxUs: 1_000, meanUs: 500.5 });
  });
});
