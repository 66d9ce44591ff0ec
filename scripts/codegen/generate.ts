// Generates src/codec/generated/ from the Kafka JSON message specs that
// scripts/codegen/fetch-specs.sh extracts into .turnout/specs/<release>/.
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitApiFile, emitApis, emitIndex, emitRegistry, emitSchema, fileNameOf } from './emit.js';
import { buildApis, type ApiModel } from './model.js';
import { loadSpecDir } from './spec.js';

/** Releases whose brokers Turnout talks to, oldest first; newer releases win where both define a version. */
export const RELEASES = ['3.9.1', '4.1.1'];

export function generate(apis: ApiModel[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const api of apis) files.set(`${fileNameOf(api)}.ts`, emitApiFile(api));
  files.set('apis.ts', emitApis(apis));
  files.set('registry.ts', emitRegistry(apis));
  files.set('schema.ts', emitSchema(apis));
  files.set('index.ts', emitIndex(apis));
  return files;
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const specRoot = join(root, '.turnout/specs');
  const sets = RELEASES.map((label) => {
    const dir = join(specRoot, label);
    if (!existsSync(dir)) throw new Error(`missing ${dir}: run bash scripts/codegen/fetch-specs.sh first`);
    return { label, specs: loadSpecDir(dir) };
  });
  const apis = buildApis(sets);
  const out = join(root, 'src/codec/generated');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.ts')) rmSync(join(out, f));
  const files = generate(apis);
  for (const [name, text] of files) writeFileSync(join(out, name), text);
  console.log(`generated ${files.size} files for ${apis.length} apis in ${out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
