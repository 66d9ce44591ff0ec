// Writes sample bodies encoded by the Turnout codec, one file per Kafka release that describes
// their version, for CrossCheck.java to parse with Kafka's own message classes.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRequestBody, encodeResponseBody } from '../../../src/codec/index.js';
import type { AnyRequest, AnyResponse } from '../../../src/codec/generated/registry.js';
import { API_SCHEMAS, Rng, sampleMessage, versionsOf } from '../../../test/unit/codec/samples.js';

const [outDir, sourcesJson] = process.argv.slice(2);
// sources: { "<apiKey>": { "<version>": "<release>" } }, from the generator's model.
const sources = JSON.parse(sourcesJson) as Record<string, Record<string, string>>;
const lines = new Map<string, string[]>();
for (const api of API_SCHEMAS) {
  for (const version of versionsOf(api)) {
    const release = sources[api.apiKey][version];
    const list = lines.get(release) ?? [];
    lines.set(release, list);
    for (const [i, opts] of [{ nulls: false, unknownTags: true }, { nulls: true, unknownTags: false }].entries()) {
      const rng = new Rng(api.apiKey * 1000 + version * 10 + i);
      const req = encodeRequestBody(api.apiKey, version, sampleMessage(api.request, version, rng, opts) as unknown as AnyRequest);
      list.push(`${api.apiKey} ${version} request ${req.toString('hex')}`);
      const resp = encodeResponseBody(api.apiKey, version, sampleMessage(api.response, version, rng, opts) as unknown as AnyResponse);
      list.push(`${api.apiKey} ${version} response ${resp.toString('hex')}`);
    }
  }
}
mkdirSync(outDir, { recursive: true });
for (const [release, list] of lines) writeFileSync(join(outDir, `${release}.txt`), list.join('\n') + '\n');
