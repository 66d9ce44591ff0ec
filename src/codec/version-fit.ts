// A message built by hand (an answer Turnout gives itself) may carry values in fields its
// version does not have; the encoders refuse those rather than drop them silently. This sets
// every such field, at any depth, to its default, from the generated schema, so one answer
// builder serves every version.
import { API_SCHEMAS, type FieldSchema, type MessageSchema } from './generated/schema.js';
import { ZERO_UUID } from './reader.js';

const RESPONSE_SCHEMAS = new Map<number, MessageSchema>(API_SCHEMAS.map((a) => [a.apiKey, a.response]));
const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'uuid', 'records']);

/** Sets the fields of a response message that `version` lacks to their defaults, in place. */
export function fitResponseToVersion<T>(apiKey: number, version: number, message: T): T {
  const schema = RESPONSE_SCHEMAS.get(apiKey);
  if (schema !== undefined) fitStruct(schema, schema.name, version, message as Record<string, unknown>);
  return message;
}

function fitStruct(schema: MessageSchema, struct: string, version: number, m: Record<string, unknown>): void {
  for (const f of schema.structs[struct]) {
    const inVersion = hasVersion(f.versions, version);
    const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
    if (!inVersion) {
      m[f.name] = absentValue(f);
      continue;
    }
    if (PRIMITIVES.has(elem)) continue;
    const v = m[f.name];
    if (Array.isArray(v)) for (const item of v) fitStruct(schema, elem, version, item as Record<string, unknown>);
    else if (v !== null && v !== undefined && typeof v === 'object') fitStruct(schema, elem, version, v as Record<string, unknown>);
  }
}

/** The value a field's encoder accepts in a version without it. */
function absentValue(f: FieldSchema): unknown {
  const d = f.default;
  if (f.tagged !== undefined || (!PRIMITIVES.has(f.type) && !f.type.startsWith('[]'))) return undefined;
  if (f.type.startsWith('[]')) return d === 'null' ? null : [];
  switch (f.type) {
    case 'bool':
      return d === 'true';
    case 'int64':
      return BigInt(d ?? 0);
    case 'string':
      return d === 'null' ? null : (d ?? '');
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return d === 'null' ? null : Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return Number(d ?? 0);
  }
}

/** Whether a version set written as text ('0-3,5', '4+') holds `version`. */
function hasVersion(text: string, version: number): boolean {
  for (const part of text.split(',')) {
    if (part.endsWith('+')) {
      if (version >= Number(part.slice(0, -1))) return true;
      continue;
    }
    const [lo, hi] = part.split('-').map(Number);
    if (version >= lo && version <= (hi ?? lo)) return true;
  }
  return false;
}
