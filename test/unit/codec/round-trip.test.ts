import { describe, expect, it } from 'vitest';
import { decodeRequestBody, decodeResponseBody, encodeRequestBody, encodeResponseBody, EncodeError } from '../../../src/codec/index.js';
import type { AnyRequest, AnyResponse } from '../../../src/codec/generated/registry.js';
import { API_SCHEMAS, parseVersions, Rng, sampleMessage, versionsOf, defaultOf } from './samples.js';

type Codec = {
  encode: (apiKey: number, version: number, m: never) => Buffer;
  decode: (apiKey: number, version: number, b: Buffer) => unknown;
};
const request: Codec = {
  encode: (k, v, m) => encodeRequestBody(k, v, m as AnyRequest),
  decode: (k, v, b) => decodeRequestBody(k, v, b),
};
const response: Codec = {
  encode: (k, v, m) => encodeResponseBody(k, v, m as AnyResponse),
  decode: (k, v, b) => decodeResponseBody(k, v, b),
};

describe('every api, version and direction round-trips', () => {
  for (const api of API_SCHEMAS) {
    for (const [dir, codec, schema] of [
      ['request', request, api.request],
      ['response', response, api.response],
    ] as const) {
      it(`${api.name} ${dir} v${api.minVersion}-${api.maxVersion}: decode(encode(x)) equals x and re-encodes to the same bytes`, () => {
        for (const version of versionsOf(api)) {
          for (const [i, opts] of [
            { nulls: false, unknownTags: true },
            { nulls: true, unknownTags: false },
            { nulls: false, unknownTags: false },
          ].entries()) {
            const rng = new Rng(api.apiKey * 1000 + version * 10 + i + (dir === 'request' ? 0 : 500));
            const sample = sampleMessage(schema, version, rng, opts);
            const bytes = codec.encode(api.apiKey, version, sample as never);
            const decoded = codec.decode(api.apiKey, version, bytes);
            expect(decoded, `v${version} ${JSON.stringify(opts)}`).toStrictEqual(sample);
            const again = codec.encode(api.apiKey, version, decoded as never);
            expect(again.equals(bytes), `v${version} re-encode`).toBe(true);
          }
        }
      }, 30_000);
    }
  }
});

describe('fields a version lacks', () => {
  it('rejects a non-default value in a non-ignorable field and drops an ignorable one', () => {
    let rejected = 0;
    let dropped = 0;
    for (const api of API_SCHEMAS) {
      for (const [codec, schema] of [
        [request, api.request],
        [response, api.response],
      ] as const) {
        const root = schema.structs[schema.name];
        for (const version of versionsOf(api)) {
          for (const f of root) {
            const versions = parseVersions(f.versions);
            if (versions.has(version)) continue;
            const type = f.type;
            if (!['int8', 'int16', 'int32', 'int64', 'string', 'bool'].includes(type)) continue;
            const sample = sampleMessage(schema, version, new Rng(7), { nulls: false, unknownTags: false });
            const d = defaultOf(schema, f);
            sample[f.name] = type === 'bool' ? !d : type === 'int64' ? (d as bigint) + 1n : type === 'string' ? `${String(d)}x` : (d as number) + 1;
            if (f.ignorable) {
              const bytes = codec.encode(api.apiKey, version, sample as never);
              const decoded = codec.decode(api.apiKey, version, bytes) as Record<string, unknown>;
              expect(decoded[f.name]).toStrictEqual(f.tagged ? undefined : d);
              dropped++;
            } else {
              expect(() => codec.encode(api.apiKey, version, sample as never)).toThrow(EncodeError);
              rejected++;
            }
          }
        }
      }
    }
    expect(rejected).toBeGreaterThan(10);
    expect(dropped).toBeGreaterThan(10);
  }, 30_000);
});
