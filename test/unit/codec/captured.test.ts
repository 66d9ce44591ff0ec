import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeRequestBody, decodeRequestHeader, decodeResponseBody, decodeResponseHeader, encodeRequestBody, encodeRequestHeader,
  encodeResponseBody, encodeResponseHeader, responseHeaderVersion, scanRecordBatches,
} from '../../../src/codec/index.js';

// Frames recorded between real clients (librdkafka via kcat, the Java tools, kafkajs) and real
// brokers by scripts/codegen/capture-fixtures.ts.
const root = join(process.cwd(), 'test/fixtures/captured');

interface IndexEntry {
  file: string;
  apiKey: number;
  apiName: string;
  version: number;
  direction: 'request' | 'response';
  client: string;
}

const sets = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'index.json'))) : [];

/** Every records blob in a decoded message (Produce requests, Fetch responses, ...). */
function recordBlobs(o: unknown, out: Buffer[] = []): Buffer[] {
  if (Array.isArray(o)) {
    for (const x of o) recordBlobs(x, out);
  } else if (o !== null && typeof o === 'object' && !Buffer.isBuffer(o)) {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'records' && Buffer.isBuffer(v)) out.push(v);
      else recordBlobs(v, out);
    }
  }
  return out;
}

describe('frames captured from real brokers and clients', () => {
  it('has fixtures to check', () => {
    expect(sets.length).toBeGreaterThan(0);
  });

  for (const set of sets) {
    const index = JSON.parse(readFileSync(join(root, set, 'index.json'), 'utf8')) as { frames: IndexEntry[] };
    it(`${set}: every frame decodes and re-encodes to the same bytes (${index.frames.length} frames)`, () => {
      let batches = 0;
      for (const f of index.frames) {
        const frame = readFileSync(join(root, set, f.file));
        const what = `${f.file}`;
        if (f.direction === 'request') {
          const h = decodeRequestHeader(frame);
          expect(h.apiKey, what).toBe(f.apiKey);
          expect(h.apiVersion, what).toBe(f.version);
          const body = decodeRequestBody(f.apiKey, f.version, frame.subarray(h.headerSizeBytes));
          const again = Buffer.concat([encodeRequestHeader(h, h.headerVersion), encodeRequestBody(f.apiKey, f.version, body)]);
          expect(again.equals(frame), what).toBe(true);
          for (const blob of recordBlobs(body)) {
            const scan = scanRecordBatches(blob);
            expect(scan.trailingPartialBytes, what).toBe(0);
            for (const b of scan.batches) expect(b.verifyCrc(), what).toBe(true);
            batches += scan.batches.length;
          }
        } else {
          const hv = responseHeaderVersion(f.apiKey, f.version);
          const h = decodeResponseHeader(frame, hv);
          const body = decodeResponseBody(f.apiKey, f.version, frame.subarray(h.headerSizeBytes));
          const again = Buffer.concat([encodeResponseHeader(h, hv), encodeResponseBody(f.apiKey, f.version, body)]);
          expect(again.equals(frame), what).toBe(true);
          for (const blob of recordBlobs(body)) {
            const scan = scanRecordBatches(blob);
            for (const b of scan.batches) expect(b.verifyCrc(), what).toBe(true);
            batches += scan.batches.length;
          }
        }
      }
      expect(batches).toBeGreaterThan(0);
    }, 30_000);
  }
});
