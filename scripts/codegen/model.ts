// Builds one model per API key from several Kafka releases' specs.
//
// Version choice: an API's supported versions are the union of the stable versions (validVersions
// without an unstable latest) of every release given. Each version is described by the newest
// release that accepts it; older releases describe only the versions newer ones dropped (KIP-896
// removed many old versions in Kafka 4.0, but 3.9 brokers still accept them). The per-version
// field lists are then merged by struct and field name into one tree where every field carries
// the exact set of versions it exists in (and is nullable or tagged in), so a field that only
// older versions had keeps its place and its guards.
import { inRange, parseRange, stableVersions, type MessageSpec, type SpecField } from './spec.js';

export const PRIMITIVES = [
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64',
  'string', 'bytes', 'uuid', 'records',
] as const;
export type Prim = (typeof PRIMITIVES)[number];

export type ElemType = { kind: 'prim'; prim: Prim } | { kind: 'struct'; struct: string };
export type FieldType = ElemType | { kind: 'array'; elem: ElemType };

export interface FieldModel {
  jsonName: string;
  name: string;
  specType: string;
  type: FieldType;
  versions: number[];
  nullable: number[];
  tagged: number[];
  tag: number | undefined;
  default: string | undefined;
  ignorable: boolean;
  about: string;
}

export interface StructModel {
  jsonName: string;
  /** TypeScript name, unique within the API's file. */
  name: string;
  fields: FieldModel[];
}

export interface MessageModel {
  name: string;
  versions: number[];
  flexible: number[];
  root: StructModel;
  /** Every struct, root first, in order of first appearance. */
  structs: StructModel[];
}

export interface ApiModel {
  apiKey: number;
  name: string;
  versions: number[];
  /** Release label that describes each version. */
  sources: Map<number, string>;
  listeners: string[];
  request: MessageModel;
  response: MessageModel;
}

export interface SpecSet {
  label: string;
  specs: MessageSpec[];
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

function isPrim(t: string): t is Prim {
  return (PRIMITIVES as readonly string[]).includes(t);
}

export function parseFieldType(t: string): FieldType {
  const elem = (s: string): ElemType => (isPrim(s) ? { kind: 'prim', prim: s } : { kind: 'struct', struct: s });
  if (t.startsWith('[]')) return { kind: 'array', elem: elem(t.slice(2)) };
  return elem(t);
}

interface StructAcc {
  jsonName: string;
  fields: Map<string, FieldModel>;
  orders: Map<number, string[]>;
}

class MessageBuilder {
  readonly structs = new Map<string, StructAcc>();
  readonly flexible: number[] = [];

  constructor(readonly name: string) {}

  /** Adds one version as described by `spec` (versions are added newest first). */
  addVersion(spec: MessageSpec, v: number): void {
    if (inRange(parseRange(spec.flexibleVersions), v)) this.flexible.push(v);
    const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]));
    const visit = (structName: string, fields: SpecField[]): void => {
      let acc = this.structs.get(structName);
      if (!acc) {
        acc = { jsonName: structName, fields: new Map(), orders: new Map() };
        this.structs.set(structName, acc);
      }
      const order: string[] = [];
      for (const f of fields) {
        if (!inRange(parseRange(f.versions), v)) continue;
        order.push(f.name);
        let fm = acc.fields.get(f.name);
        if (!fm) {
          fm = {
            jsonName: f.name,
            name: camelCase(f.name),
            specType: f.type,
            type: parseFieldType(f.type),
            versions: [],
            nullable: [],
            tagged: [],
            tag: f.tag,
            default: f.default === undefined ? undefined : String(f.default),
            ignorable: f.ignorable === true,
            about: f.about ?? '',
          };
          acc.fields.set(f.name, fm);
        } else {
          if (fm.specType !== f.type) {
            throw new Error(`${this.name}.${structName}.${f.name}: type ${fm.specType} vs ${f.type} at v${v}`);
          }
          if (inRange(parseRange(f.taggedVersions), v) && fm.tag !== undefined && fm.tag !== f.tag) {
            throw new Error(`${this.name}.${structName}.${f.name}: tag ${fm.tag} vs ${f.tag} at v${v}`);
          }
        }
        fm.versions.push(v);
        if (inRange(parseRange(f.nullableVersions), v)) fm.nullable.push(v);
        if (inRange(parseRange(f.taggedVersions), v)) {
          fm.tagged.push(v);
          fm.tag ??= f.tag;
        }
        const t = fm.type.kind === 'array' ? fm.type.elem : fm.type;
        if (t.kind === 'struct') {
          const sub = f.fields ?? common.get(t.struct);
          if (!sub) throw new Error(`${this.name}: struct ${t.struct} has no definition`);
          visit(t.struct, sub);
        }
      }
      const prev = acc.orders.get(v);
      if (prev && prev.join() !== order.join()) {
        throw new Error(`${this.name}.${structName}: used with two field lists at v${v}`);
      }
      acc.orders.set(v, order);
    };
    visit(this.name, spec.fields);
  }

  build(versions: number[]): MessageModel {
    const structs: StructModel[] = [];
    for (const acc of this.structs.values()) {
      const fieldOrder = mergeOrders(acc, this.name);
      structs.push({
        jsonName: acc.jsonName,
        name: acc.jsonName,
        fields: fieldOrder.map((n) => {
          const f = acc.fields.get(n)!;
          f.versions.sort((a, b) => a - b);
          f.nullable.sort((a, b) => a - b);
          f.tagged.sort((a, b) => a - b);
          return f;
        }),
      });
    }
    return {
      name: this.name,
      versions,
      flexible: [...this.flexible].sort((a, b) => a - b),
      root: structs[0],
      structs,
    };
  }
}

/**
 * One field order that every version's order is a subsequence of: start from the newest
 * version and insert fields only older versions have after their predecessor there.
 */
function mergeOrders(acc: StructAcc, message: string): string[] {
  const versions = [...acc.orders.keys()].sort((a, b) => b - a);
  const merged: string[] = [];
  for (const v of versions) {
    const order = acc.orders.get(v)!;
    for (let i = 0; i < order.length; i++) {
      if (merged.includes(order[i])) continue;
      const at = i === 0 ? 0 : merged.indexOf(order[i - 1]) + 1;
      merged.splice(at, 0, order[i]);
    }
  }
  for (const v of versions) {
    const order = acc.orders.get(v)!;
    const projected = merged.filter((n) => order.includes(n));
    if (projected.join() !== order.join()) {
      throw new Error(`${message}.${acc.jsonName}: field order at v${v} cannot be merged`);
    }
  }
  return merged;
}

/** Builds the API models from spec sets given oldest release first. */
export function buildApis(sets: SpecSet[]): ApiModel[] {
  const keys = new Set<number>();
  for (const s of sets) for (const m of s.specs) keys.add(m.apiKey);
  const apis: ApiModel[] = [];
  for (const apiKey of [...keys].sort((a, b) => a - b)) {
    const owner = new Map<number, { label: string; req: MessageSpec; resp: MessageSpec }>();
    for (const s of sets) {
      const req = s.specs.find((m) => m.apiKey === apiKey && m.type === 'request');
      const resp = s.specs.find((m) => m.apiKey === apiKey && m.type === 'response');
      if (!req || !resp) continue;
      const respVersions = new Set(stableVersions(resp));
      for (const v of stableVersions(req)) {
        if (respVersions.has(v)) owner.set(v, { label: s.label, req, resp });
      }
    }
    if (owner.size === 0) continue; // only unstable versions so far
    const versions = [...owner.keys()].sort((a, b) => a - b);
    const newest = owner.get(versions[versions.length - 1])!;
    const name = newest.req.name.replace(/Request$/, '');
    const req = new MessageBuilder(`${name}Request`);
    const resp = new MessageBuilder(`${name}Response`);
    for (const v of [...versions].reverse()) {
      const o = owner.get(v)!;
      req.addVersion(o.req, v);
      resp.addVersion(o.resp, v);
    }
    const api: ApiModel = {
      apiKey,
      name,
      versions,
      sources: new Map(versions.map((v) => [v, owner.get(v)!.label])),
      listeners: newest.req.listeners ?? [],
      request: req.build(versions),
      response: resp.build(versions),
    };
    nameStructs(api);
    apis.push(api);
  }
  return apis;
}

const RESERVED = new Set(['Reader', 'Writer', 'DecodeError', 'EncodeError', 'TaggedField', 'Buffer', 'Array', 'Error']);

/** Struct names that request and response share get the message name as a prefix. */
function nameStructs(api: ApiModel): void {
  const reqNames = new Set(api.request.structs.slice(1).map((s) => s.jsonName));
  const respNames = new Set(api.response.structs.slice(1).map((s) => s.jsonName));
  for (const msg of [api.request, api.response]) {
    const other = msg === api.request ? respNames : reqNames;
    for (const s of msg.structs.slice(1)) {
      if (other.has(s.jsonName) || RESERVED.has(s.jsonName) || s.jsonName === api.request.name || s.jsonName === api.response.name) {
        s.name = msg.name + s.jsonName;
      }
    }
  }
}

/** Looks up a struct of a message by its JSON name. */
export function structByJsonName(msg: MessageModel, jsonName: string): StructModel {
  const s = msg.structs.find((x) => x.jsonName === jsonName);
  if (!s) throw new Error(`${msg.name}: no struct ${jsonName}`);
  return s;
}
