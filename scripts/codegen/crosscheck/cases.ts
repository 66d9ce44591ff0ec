// Sample bodies encoded by the Turnout codec, for CrossCheck.java to parse with Kafka's own
// message classes; and the comparison of Kafka's JSON view of them with the samples.
import { encodeRequestBody, encodeResponseBody } from '../../../src/codec/index.js';
import type { AnyRequest, AnyResponse } from '../../../src/codec/generated/registry.js';
import type { MessageSchema } from '../../../src/codec/generated/schema.js';
import { API_SCHEMAS, parseVersions, Rng, sampleMessage, versionsOf } from '../../../test/unit/codec/samples.js';

export interface CrossCheckCase {
  apiKey: number;
  version: number;
  direction: 'request' | 'response';
  schema: MessageSchema;
  message: Record<string, unknown>;
  bytes: Buffer;
}

/** For each api key, the release whose spec describes each version (the codegen model's sources). */
export type VersionSources = Record<number, Record<number, string>>;

export class MissingSourceError extends Error {
  constructor(readonly apiKey: number, readonly version: number) {
    super(`api ${apiKey} v${version}: no release's spec describes it`);
    this.name = 'MissingSourceError';
  }
}

/**
 * Every case, grouped by the release whose spec describes its version: for every api and
 * version, a request and a response with a value in every field, and again with nulls and
 * empties.
 */
export function crossCheckCases(sources: VersionSources): Map<string, CrossCheckCase[]> {
  const out = new Map<string, CrossCheckCase[]>();
  for (const api of API_SCHEMAS) {
    for (const version of versionsOf(api)) {
      const release = sources[api.apiKey]?.[version];
      if (release === undefined) throw new MissingSourceError(api.apiKey, version);
      const list = out.get(release) ?? [];
      out.set(release, list);
      for (const [i, opts] of [{ nulls: false, unknownTags: true }, { nulls: true, unknownTags: false }].entries()) {
        const rng = new Rng(api.apiKey * 1000 + version * 10 + i);
        const req = sampleMessage(api.request, version, rng, opts);
        list.push({ apiKey: api.apiKey, version, direction: 'request', schema: api.request, message: req, bytes: encodeRequestBody(api.apiKey, version, req as unknown as AnyRequest) });
        const resp = sampleMessage(api.response, version, rng, opts);
        list.push({ apiKey: api.apiKey, version, direction: 'response', schema: api.response, message: resp, bytes: encodeResponseBody(api.apiKey, version, resp as unknown as AnyResponse) });
      }
    }
  }
  return out;
}

/** A case as CrossCheck.java reads it: `apiKey version direction hex`. */
export function caseLine(c: CrossCheckCase): string {
  return `${c.apiKey} ${c.version} ${c.direction} ${c.bytes.toString('hex')}`;
}

/** Where Kafka's JSON view of a case (numbers and bytes as text) differs from the sample. */
export function fieldDifferences(c: CrossCheckCase, kafka: Record<string, unknown>): string[] {
  const out: string[] = [];
  compare(c.schema, c.schema.name, c.version, kafka, c.message, c.schema.name, out);
  return out;
}

function compare(schema: MessageSchema, struct: string, version: number, kafka: Record<string, unknown>, ours: Record<string, unknown>, path: string, out: string[]): void {
  for (const f of schema.structs[struct]) {
    const here = `${path}.${f.name}`;
    const present = parseVersions(f.versions).has(version);
    const inKafka = Object.prototype.hasOwnProperty.call(kafka, f.name);
    if (!present) {
      if (inKafka) out.push(`${here}: Kafka has it, the schema says v${version} does not`);
      continue;
    }
    if (!inKafka) {
      if (!parseVersions(f.tagged).has(version) || ours[f.name] !== undefined) out.push(`${here}: missing in Kafka's view`);
      continue;
    }
    compareValue(schema, f.type, version, kafka[f.name], ours[f.name], here, out);
  }
}

function compareValue(schema: MessageSchema, type: string, version: number, k: unknown, o: unknown, path: string, out: string[]): void {
  if (k === null || o === null || o === undefined) {
    if (k !== (o ?? null)) out.push(`${path}: Kafka ${JSON.stringify(k)}, ours ${String(o)}`);
    return;
  }
  if (type.startsWith('[]')) {
    const ka = k as unknown[];
    const oa = o as unknown[];
    if (ka.length !== oa.length) out.push(`${path}: ${ka.length} elements in Kafka, ${oa.length} ours`);
    else ka.forEach((x, i) => compareValue(schema, type.slice(2), version, x, oa[i], `${path}[${i}]`, out));
    return;
  }
  if (schema.structs[type]) {
    compare(schema, type, version, k as Record<string, unknown>, o as Record<string, unknown>, path, out);
    return;
  }
  // Records are opaque here; their bytes were already compared on the wire.
  if (type === 'records') return;
  let same: boolean;
  if (type === 'float64') same = Number(k) === o;
  else if (type === 'bytes') same = k === (o as Buffer).toString('base64');
  else if (type === 'bool' || type === 'string' || type === 'uuid') same = k === o;
  else same = k === String(o);
  if (!same) out.push(`${path}: Kafka ${JSON.stringify(k)}, ours ${String(o)}`);
}
