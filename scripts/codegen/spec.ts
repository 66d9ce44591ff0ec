// Apache Kafka's JSON message specs: loading and version-range parsing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  about?: string;
  fields?: SpecField[];
}

export interface SpecStruct {
  name: string;
  versions: string;
  fields: SpecField[];
}

export interface MessageSpec {
  apiKey: number;
  type: 'request' | 'response';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: SpecField[];
  commonStructs?: SpecStruct[];
}

/** Kafka's spec files are JSON with whole-line `//` comments. */
export function parseSpec(text: string): MessageSpec {
  const json = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  return JSON.parse(json) as MessageSpec;
}

/** Loads every request and response spec in a directory. */
export function loadSpecDir(dir: string): MessageSpec[] {
  const out: MessageSpec[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json')) continue;
    const spec = parseSpec(readFileSync(join(dir, file), 'utf8'));
    if (spec.type === 'request' || spec.type === 'response') out.push(spec);
  }
  return out;
}

/** A version range such as "0+", "3-7", "5" or "none", as a predicate. */
export interface VersionRange {
  min: number;
  max: number; // Infinity for "N+"; min > max for "none"
}

export function parseRange(s: string | undefined): VersionRange {
  if (s === undefined || s === 'none' || s === '') return { min: 1, max: 0 };
  const t = s.trim();
  if (t.endsWith('+')) return { min: Number(t.slice(0, -1)), max: Infinity };
  const dash = t.indexOf('-');
  if (dash >= 0) return { min: Number(t.slice(0, dash)), max: Number(t.slice(dash + 1)) };
  const v = Number(t);
  return { min: v, max: v };
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}

/** Versions a broker accepts: validVersions without an unstable latest version. */
export function stableVersions(spec: MessageSpec): number[] {
  const r = parseRange(spec.validVersions);
  const max = spec.latestVersionUnstable ? r.max - 1 : r.max;
  const out: number[] = [];
  for (let v = r.min; v <= max; v++) out.push(v);
  return out;
}
