// Builds sample messages for any api, version and direction from the generated schema, with a
// non-default value in every field the version has (or nulls/empties, for the second variant).
import { API_SCHEMAS, type ApiSchema, type FieldSchema, type MessageSchema } from '../../../src/codec/generated/schema.js';
import type { TaggedField } from '../../../src/codec/errors.js';

export function parseVersions(text: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let v = a; v <= (b ?? a); v++) out.add(v);
  }
  return out;
}

/** Small deterministic generator so failures reproduce. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

const PRIMS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'uuid', 'records']);

/** Default of a field, parsed from the spec's default text the way Kafka does. */
export function defaultOf(schema: MessageSchema, f: FieldSchema): unknown {
  const d = f.default;
  if (d === 'null') return null;
  if (f.type.startsWith('[]')) return [];
  if (!PRIMS.has(f.type)) return defaults(schema, f.type);
  switch (f.type) {
    case 'bool': return d === 'true';
    case 'int64': return BigInt(d ?? 0);
    case 'string': return d ?? '';
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    default: return Number(d ?? 0);
  }
}

function defaults(schema: MessageSchema, struct: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema.structs[struct]) {
    const tagged = parseVersions(f.tagged);
    if (tagged.size > 0 && tagged.size === parseVersions(f.versions).size) continue;
    out[f.name] = defaultOf(schema, f);
  }
  return out;
}

export interface SampleOptions {
  /** Use null for nullable fields and empty arrays, instead of values. */
  nulls: boolean;
  /** Add unknown tagged fields to every flexible struct. */
  unknownTags: boolean;
}

function primValue(rng: Rng, type: string, def: unknown): unknown {
  switch (type) {
    case 'bool': return !def;
    case 'int8': return pick(rng, def, () => rng.int(-128, 127));
    case 'int16': return pick(rng, def, () => rng.int(-32768, 32767));
    case 'uint16': return pick(rng, def, () => rng.int(0, 65535));
    case 'int32': return pick(rng, def, () => rng.int(0, 0xffffffff) | 0);
    case 'uint32': return pick(rng, def, () => rng.int(0, 0xffffffff) >>> 0);
    case 'int64': return pick(rng, def, () => BigInt.asIntN(64, (BigInt(rng.next()) << 32n) | BigInt(rng.next())));
    case 'float64': return pick(rng, def, () => rng.int(-1000000, 1000000) / 7);
    case 'string': return pick(rng, def, () => `s${rng.int(0, 99999)}-é€`);
    case 'uuid': return rng.bytes(16).toString('base64url');
    case 'bytes': return rng.bytes(rng.int(1, 6));
    case 'records': return rng.bytes(rng.int(1, 12));
  }
  throw new Error(`unknown type ${type}`);
}

function pick(rng: Rng, def: unknown, make: () => unknown): unknown {
  for (;;) {
    const v = make();
    if (v !== def) return v;
  }
}

export function sampleMessage(schema: MessageSchema, version: number, rng: Rng, opts: SampleOptions): Record<string, unknown> {
  const flexible = parseVersions(schema.flexible).has(version);
  const build = (struct: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    // Kafka rejects a tag that names a field of another version, so unknown tags avoid them all.
    const knownTags = new Set(schema.structs[struct].filter((f) => f.tag !== undefined).map((f) => f.tag!));
    for (const f of schema.structs[struct]) {
      const versions = parseVersions(f.versions);
      const tagged = parseVersions(f.tagged);
      const fullyTagged = tagged.size > 0 && tagged.size === versions.size;
      if (!versions.has(version)) {
        if (!fullyTagged) out[f.name] = defaultOf(schema, f);
        continue;
      }
      const nullable = parseVersions(f.nullable).has(version);
      // Kafka writes a tagged field only when it differs from its default: leave defaults out.
      if (fullyTagged && opts.nulls) continue;
      if (opts.nulls && nullable) {
        out[f.name] = null;
        continue;
      }
      const isArray = f.type.startsWith('[]');
      const elem = isArray ? f.type.slice(2) : f.type;
      const value = (): unknown => (PRIMS.has(elem) ? primValue(rng, elem, isArray ? undefined : defaultOf(schema, f)) : build(elem));
      if (isArray) {
        const n = opts.nulls ? 0 : 2;
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(value());
        out[f.name] = a;
      } else {
        out[f.name] = value();
      }
    }
    if (flexible && opts.unknownTags) {
      let low = 0;
      while (knownTags.has(low)) low++;
      const fields: TaggedField[] = [{ tag: low, data: rng.bytes(3) }, { tag: 1000 + rng.int(0, 50), data: rng.bytes(200) }];
      out.unknownTaggedFields = fields;
    }
    return out;
  };
  return build(schema.name);
}

export function versionsOf(api: ApiSchema): number[] {
  const out: number[] = [];
  for (let v = api.minVersion; v <= api.maxVersion; v++) out.push(v);
  return out;
}

export { API_SCHEMAS };
