import { describe, expect, it } from 'vitest';
import {
  nextCorrelationId,
  readRequestCorrelationId,
  readResponseCorrelationId,
  writeRequestCorrelationId,
  writeResponseCorrelationId,
} from '../../../src/net/correlation.js';

describe('correlation ids', () => {
  it('rewrites a request correlation id in place without touching other bytes', () => {
    // size, apiKey=3 (Metadata), version=12, correlationId=42, then a body
    const frame = Buffer.from([0, 0, 0, 11, 0, 3, 0, 12, 0, 0, 0, 42, 9, 9, 9]);
    const before = Buffer.from(frame);
    writeRequestCorrelationId(frame, 0x01020304);
    expect(readRequestCorrelationId(frame)).toBe(0x01020304);
    expect(frame.subarray(0, 8)).toEqual(before.subarray(0, 8));
    expect(frame.subarray(12)).toEqual(before.subarray(12));
  });

  it('restores the client correlation id in a response', () => {
    const frame = Buffer.from([0, 0, 0, 6, 0, 0, 0, 7, 1, 2]);
    writeResponseCorrelationId(frame, -5);
    expect(readResponseCorrelationId(frame)).toBe(-5);
    expect(frame.subarray(8)).toEqual(Buffer.from([1, 2]));
  });

  it('wraps the sequence before int32 overflow and never yields 0', () => {
    expect(nextCorrelationId(0)).toBe(1);
    expect(nextCorrelationId(0x7fffffff)).toBe(1);
  });
});
