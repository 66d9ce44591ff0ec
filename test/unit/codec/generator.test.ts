import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitApiFile, emitApis, guard, versionText } from '../../../scripts/codegen/emit.js';
import { generate, RELEASES } from '../../../scripts/codegen/generate.js';
import { buildApis, camelCase, kebabCase, type SpecSet } from '../../../scripts/codegen/model.js';
import { loadSpecDir, parseRange, parseSpec, stableVersions, type MessageSpec } from '../../../scripts/codegen/spec.js';

function spec(partial: Partial<MessageSpec> & Pick<MessageSpec, 'type' | 'name' | 'fields'>): MessageSpec {
  return { apiKey: 99, validVersions: '0-3', flexibleVersions: '2+', ...partial };
}

function pair(validVersions: string, reqFields: MessageSpec['fields'], extra: Partial<MessageSpec> = {}): MessageSpec[] {
  return [
    spec({ type: 'request', name: 'WidgetRequest', validVersions, fields: reqFields, ...extra }),
    spec({ type: 'response', name: 'WidgetResponse', validVersions, fields: [{ name: 'ErrorCode', type: 'int16', versions: '0+' }], ...extra }),
  ];
}

describe('spec parsing', () => {
  it('drops whole-line comments and parses version ranges', () => {
    const s = parseSpec('// licence\n{ "apiKey": 1, "type": "request", "name": "X", "validVersions": "0-2",\n  // note\n "flexibleVersions": "none", "fields": [] }');
    expect(s.apiKey).toBe(1);
    expect(parseRange('3+')).toEqual({ min: 3, max: Infinity });
    expect(parseRange('2-7')).toEqual({ min: 2, max: 7 });
    expect(parseRange('4')).toEqual({ min: 4, max: 4 });
    expect(parseRange('none').min).toBeGreaterThan(parseRange('none').max);
  });

  it('excludes an unstable latest version', () => {
    expect(stableVersions(spec({ type: 'request', name: 'A', fields: [], validVersions: '0-4', latestVersionUnstable: true }))).toEqual([0, 1, 2, 3]);
    expect(stableVersions(spec({ type: 'request', name: 'A', fields: [], validVersions: '0', latestVersionUnstable: true }))).toEqual([]);
  });

  it('names follow the contract', () => {
    expect(camelCase('ThrottleTimeMs')).toBe('throttleTimeMs');
    expect(kebabCase('DescribeTopicPartitions')).toBe('describe-topic-partitions');
    expect(kebabCase('ApiVersions')).toBe('api-versions');
  });
});

describe('guards', () => {
  const all = [0, 1, 2, 3, 4, 5];
  it('uses the shortest comparison', () => {
    expect(guard([0, 1, 2, 3, 4, 5], all)).toBe('true');
    expect(guard([], all)).toBe('false');
    expect(guard([3, 4, 5], all)).toBe('version >= 3');
    expect(guard([0, 1], all)).toBe('version <= 1');
    expect(guard([2, 3], all)).toBe('(version >= 2 && version <= 3)');
    expect(guard([2], all)).toBe('version === 2');
    expect(guard([0, 5], all)).toBe('version <= 0 || version >= 5');
  });
  it('ignores versions outside the universe', () => {
    expect(guard([3, 4], [3, 4, 5])).toBe('version <= 4');
    expect(versionText([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
  });
});

describe('merging releases', () => {
  const old: SpecSet = {
    label: 'old',
    specs: pair('0-3', [
      { name: 'Legacy', type: 'int32', versions: '0-1' },
      { name: 'Name', type: 'string', versions: '0+' },
    ]),
  };
  const cur: SpecSet = {
    label: 'new',
    specs: pair('2-5', [
      { name: 'Name', type: 'string', versions: '0+' },
      { name: 'Added', type: 'int64', versions: '5+', default: '-1' },
    ]),
  };
  const [api] = buildApis([old, cur]);

  it('covers the union of versions, each from the newest release that has it', () => {
    expect(api.versions).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...api.sources.entries()]).toEqual([[0, 'old'], [1, 'old'], [2, 'new'], [3, 'new'], [4, 'new'], [5, 'new']]);
  });

  it('keeps fields that only dropped versions had, in their wire position', () => {
    const fields = api.request.root.fields;
    expect(fields.map((f) => f.name)).toEqual(['legacy', 'name', 'added']);
    expect(fields[0].versions).toEqual([0, 1]);
    expect(fields[1].versions).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fields[2].versions).toEqual([5]);
  });

  it('drops an api that only has unstable versions', () => {
    const unstable: SpecSet = { label: 'x', specs: pair('0', [], { latestVersionUnstable: true }) };
    expect(buildApis([unstable])).toEqual([]);
  });

  it('rejects a field whose type changed between releases', () => {
    const changed: SpecSet = { label: 'new', specs: pair('2-5', [{ name: 'Name', type: 'int32', versions: '0+' }]) };
    expect(() => buildApis([old, changed])).toThrow(/type/);
  });
});

describe('emitted code', () => {
  const [api] = buildApis([
    {
      label: 'r',
      specs: pair('0-3', [
        { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
        { name: 'Topics', type: '[]Topic', versions: '0+', nullableVersions: '1+', fields: [{ name: 'Name', type: 'string', versions: '0+' }] },
        { name: 'Strict', type: 'bool', versions: '1+' },
        { name: 'Loose', type: 'int16', versions: '3+', ignorable: true },
        { name: 'Hint', type: 'int32', versions: '2+', taggedVersions: '2+', tag: 0 },
        { name: 'Id', type: 'uuid', versions: '3+' },
      ]),
    },
  ]);
  const code = emitApiFile(api);

  it('types fields by the naming contract', () => {
    expect(code).toContain('export interface WidgetRequest {');
    expect(code).toContain('  throttleTimeMs: number;');
    expect(code).toContain('  topics: Topic[] | null;');
    expect(code).toContain('  hint?: number;');
    expect(code).toContain('  unknownTaggedFields?: TaggedField[];');
    expect(code).toContain('export function decodeWidgetRequest(r: Reader, version: number): WidgetRequest {');
    expect(code).toContain('export function encodeWidgetResponse(w: Writer, version: number, m: WidgetResponse): void {');
    expect(code).toContain('export function createWidgetRequest(): WidgetRequest {');
  });

  it('reads with straight-line version guards and compact forms in flexible versions', () => {
    expect(code).toContain('if (version >= 2) {\n    const n = r.readCompactNullableArrayLength(');
    expect(code).toContain('r.readCompactString()');
    expect(code).toContain('r.readString()');
    expect(code).toMatch(/if \(tag === 0\) \{/);
    expect(code).toContain('(m.unknownTaggedFields ??= []).push(r.readUnknownTaggedField(tag, size));');
    expect(code).not.toMatch(/=>/); // no closures in generated code
  });

  it('rejects a non-ignorable field in a version without it and drops an ignorable one', () => {
    expect(code).toContain("'WidgetRequest.Strict is not supported in this version'");
    expect(code).not.toContain('WidgetRequest.Loose is not supported');
  });

  it('describes header versions in apis.ts', () => {
    const apis = emitApis([api]);
    expect(apis).toContain("{ apiKey: 99, name: 'Widget', minVersion: 0, maxVersion: 3, firstFlexibleVersion: 2");
    expect(apis).toContain('export function requestHeaderVersion(apiKey: number, version: number): number {');
  });
});

const specRoot = join(process.cwd(), '.turnout/specs');
describe('committed generated code', () => {
  it('matches what the generator makes from the specs', () => {
    // The specs are a precondition (`npm run setup` fetches them), never a reason to skip.
    const missing = RELEASES.filter((r) => !existsSync(join(specRoot, r)));
    expect(missing, `Kafka message specs missing in ${specRoot}: run \`npm run setup\``).toEqual([]);
    const apis = buildApis(RELEASES.map((label) => ({ label, specs: loadSpecDir(join(specRoot, label)) })));
    for (const [name, text] of generate(apis)) {
      expect(readFileSync(join(process.cwd(), 'src/codec/generated', name), 'utf8'), name).toBe(text);
    }
  }, 30_000);
});

describe('generated code, compiled and run', () => {
  // A synthetic api whose known tags leave gaps, so unknown tags must interleave with them.
  const [api] = buildApis([
    {
      label: 'r',
      specs: [
        spec({
          type: 'request', name: 'GappyRequest', validVersions: '0-2', flexibleVersions: '1+', fields: [
            { name: 'Id', type: 'int32', versions: '0+' },
            { name: 'Note', type: 'string', versions: '1+', nullableVersions: '1+', taggedVersions: '1+', tag: 1 },
            { name: 'Epochs', type: '[]int64', versions: '2+', taggedVersions: '2+', tag: 3 },
            { name: 'Items', type: '[]Item', versions: '0+', fields: [
              { name: 'Key', type: 'string', versions: '0+' },
              { name: 'Hint', type: 'uuid', versions: '2+', taggedVersions: '2+', tag: 0 },
            ] },
          ],
        }),
        spec({ type: 'response', name: 'GappyResponse', validVersions: '0-2', flexibleVersions: '1+', fields: [{ name: 'ErrorCode', type: 'int16', versions: '0+' }] }),
      ],
    },
  ]);

  async function load(): Promise<Record<string, (...args: unknown[]) => unknown>> {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'turnout-codegen-'));
    const codec = join(process.cwd(), 'src/codec');
    const code = emitApiFile(api).replace(/from '\.\.\/(\w+)\.js'/g, (_m, f: string) => `from '${join(codec, `${f}.ts`)}'`);
    writeFileSync(join(dir, 'gappy.ts'), code);
    return (await import(/* @vite-ignore */ join(dir, 'gappy.ts'))) as Record<string, (...args: unknown[]) => unknown>;
  }

  it('interleaves unknown tagged fields with known ones in tag order and decodes them back', async () => {
    const mod = await load();
    const { Reader } = await import('../../../src/codec/reader.js');
    const { Writer } = await import('../../../src/codec/writer.js');
    const m = {
      id: 7,
      note: 'hello',
      epochs: [1n, -2n],
      items: [{ key: 'k', hint: 'zgKTXDnYRUWtmB6RuXHz8Q', unknownTaggedFields: [{ tag: 2, data: Buffer.from([9]) }] }],
      unknownTaggedFields: [
        { tag: 0, data: Buffer.from([1]) },
        { tag: 2, data: Buffer.from([2, 2]) },
        { tag: 4, data: Buffer.from([4]) },
      ],
    };
    const w = new Writer();
    mod.encodeGappyRequest(w, 2, m);
    const bytes = w.finish();
    // Top-level tagged section: count 5, then tags 0,1,2,3,4 in order.
    const r = new Reader(bytes);
    const decoded = mod.decodeGappyRequest(r, 2);
    expect(decoded).toStrictEqual(m);
    expect(r.remaining).toBe(0);
    const again = new Writer();
    mod.encodeGappyRequest(again, 2, decoded);
    expect(again.finish().equals(bytes)).toBe(true);
    // Walk to the top-level tagged section and list its tags.
    const tags: number[] = [];
    const tail = new Reader(bytes);
    tail.readInt32();
    const n = tail.readCompactArrayLength(1);
    for (let i = 0; i < n; i++) {
      tail.readCompactString();
      const nt = tail.readTaggedFieldCount();
      for (let j = 0; j < nt; j++) {
        tail.readUVarint();
        tail.readRaw(tail.readTaggedFieldSize());
      }
    }
    const count = tail.readTaggedFieldCount();
    for (let j = 0; j < count; j++) {
      tags.push(tail.readUVarint());
      tail.readRaw(tail.readTaggedFieldSize());
    }
    expect(tags).toEqual([0, 1, 2, 3, 4]);
  }, 60_000);

  it('drops nothing silently: a non-ignorable tagged field in a version without it is an EncodeError', async () => {
    const mod = await load();
    const { Writer } = await import('../../../src/codec/writer.js');
    const { EncodeError } = await import('../../../src/codec/errors.js');
    expect(() => mod.encodeGappyRequest(new Writer(), 1, { id: 1, epochs: [1n], items: [] })).toThrow(EncodeError);
    expect(() => mod.encodeGappyRequest(new Writer(), 0, { id: 1, note: 'x', items: [] })).toThrow(EncodeError);
  }, 60_000);
});
