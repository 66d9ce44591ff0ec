import { describe, expect, it } from 'vitest';
import { DecodeError, decodeRequestBody, decodeResponseBody, encodeRequestBody, encodeResponseBody, Writer } from '../../../src/codec/index.js';
import { apiCodec, type AnyRequest, type AnyResponse } from '../../../src/codec/generated/registry.js';
import { API_SCHEMAS, Rng, sampleMessage, versionsOf } from './samples.js';

/** A writer that remembers where each length prefix starts and how wide it is. */
class PrefixRecordingWriter extends Writer {
  readonly prefixes: { at: number; kind: 'int16' | 'int32' | 'uvarint' }[] = [];
  override writeString(v: string): void {
    this.prefixes.push({ at: this.offset, kind: 'int16' });
    super.writeString(v);
  }
  override writeCompactString(v: string): void {
    this.prefixes.push({ at: this.offset, kind: 'uvarint' });
    super.writeCompactString(v);
  }
  override writeBytes(v: Buffer): void {
    this.prefixes.push({ at: this.offset, kind: 'int32' });
    super.writeBytes(v);
  }
  override writeCompactBytes(v: Buffer): void {
    this.prefixes.push({ at: this.offset, kind: 'uvarint' });
    super.writeCompactBytes(v);
  }
  override writeArrayLength(n: number): void {
    this.prefixes.push({ at: this.offset, kind: 'int32' });
    super.writeArrayLength(n);
  }
  override writeCompactArrayLength(n: number): void {
    this.prefixes.push({ at: this.offset, kind: 'uvarint' });
    super.writeCompactArrayLength(n);
  }
}

function uvarintWidth(b: Buffer, at: number): number {
  let i = at;
  while (b[i] & 0x80) i++;
  return i - at + 1;
}

/** Replaces the length prefix at `p` with the largest value its encoding can hold. */
function oversize(bytes: Buffer, p: { at: number; kind: string }): Buffer {
  if (p.kind === 'int16') {
    const b = Buffer.from(bytes);
    b.writeInt16BE(0x7fff, p.at);
    return b;
  }
  if (p.kind === 'int32') {
    const b = Buffer.from(bytes);
    b.writeInt32BE(0x7fffffff, p.at);
    return b;
  }
  const w = uvarintWidth(bytes, p.at);
  return Buffer.concat([bytes.subarray(0, p.at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), bytes.subarray(p.at + w)]);
}

type Decode = (apiKey: number, version: number, body: Buffer) => unknown;

/** Decoding either succeeds or throws a DecodeError; returns whether it threw. */
function decodeOrDecodeError(decode: Decode, apiKey: number, version: number, body: Buffer): boolean {
  try {
    decode(apiKey, version, body);
    return false;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`api ${apiKey} v${version}: ${String(e)} is not a DecodeError`);
    expect(e.apiKey).toBe(apiKey);
    expect(e.version).toBe(version);
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(body.length);
    return true;
  }
}

describe('hostile input only ever gives a DecodeError', () => {
  it('random bytes, truncated messages and oversized length prefixes, for every api and version', () => {
    const rng = new Rng(12345);
    let cases = 0;
    let truncations = 0;
    let oversized = 0;
    let oversizedRejected = 0;
    for (const api of API_SCHEMAS) {
      const codec = apiCodec(api.apiKey)!;
      for (const version of versionsOf(api)) {
        for (const dir of ['request', 'response'] as const) {
          const decode: Decode = dir === 'request' ? decodeRequestBody : decodeResponseBody;
          // Random bytes.
          for (let i = 0; i < 2; i++) {
            decodeOrDecodeError(decode, api.apiKey, version, rng.bytes(rng.int(0, 80)));
            cases++;
          }
          // A valid message, then every kind of damage to it.
          const schema = dir === 'request' ? api.request : api.response;
          const sample = sampleMessage(schema, version, rng, { nulls: false, unknownTags: true });
          const w = new PrefixRecordingWriter();
          if (dir === 'request') codec.encodeRequest(w, version, sample as unknown as AnyRequest);
          else codec.encodeResponse(w, version, sample as unknown as AnyResponse);
          const prefixes = w.prefixes;
          const bytes = w.finish();
          const again = dir === 'request' ? encodeRequestBody(api.apiKey, version, sample as unknown as AnyRequest) : encodeResponseBody(api.apiKey, version, sample as unknown as AnyResponse);
          expect(again.equals(bytes)).toBe(true);
          for (let i = 0; i < 3 && bytes.length > 0; i++) {
            const cut = rng.int(0, bytes.length - 1);
            expect(decodeOrDecodeError(decode, api.apiKey, version, bytes.subarray(0, cut)), `truncated at ${cut}`).toBe(true);
            truncations++;
            cases++;
          }
          for (let i = 0; i < 3 && prefixes.length > 0; i++) {
            const p = prefixes[rng.int(0, prefixes.length - 1)];
            if (decodeOrDecodeError(decode, api.apiKey, version, oversize(bytes, p))) oversizedRejected++;
            oversized++;
            cases++;
          }
          // Flipped bytes anywhere.
          for (let i = 0; i < 2 && bytes.length > 0; i++) {
            const b = Buffer.from(bytes);
            b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
            decodeOrDecodeError(decode, api.apiKey, version, b);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(3000);
    expect(truncations).toBeGreaterThan(1000);
    expect(oversizedRejected).toBe(oversized);
    // A few thousand cases take seconds; the deadline leaves room for a loaded machine and
    // only catches a hang.
  }, 90_000);

  it('a hostile array length is rejected before anything is allocated', () => {
    // Metadata v1 request: topics array claiming 2^31-1 entries, with no bytes behind it.
    const body = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    const before = process.memoryUsage().heapUsed;
    expect(() => decodeRequestBody(3, 1, body)).toThrow(DecodeError);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('unknown api keys and unsupported versions are DecodeErrors', () => {
    expect(() => decodeRequestBody(9999, 0, Buffer.alloc(0))).toThrow(DecodeError);
    expect(() => decodeRequestBody(3, 99, Buffer.alloc(0))).toThrow(DecodeError);
    expect(() => decodeResponseBody(3, -1, Buffer.alloc(0))).toThrow(DecodeError);
  });

  it('trailing bytes after a message are a DecodeError', () => {
    const body = encodeRequestBody(12, 0, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(() => decodeRequestBody(12, 0, Buffer.concat([body, Buffer.from([0])]))).toThrow(/trailing/);
  });
});
