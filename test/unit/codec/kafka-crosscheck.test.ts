// The generated codec against Kafka itself: for every api and version, sample requests and
// responses encoded by Turnout are parsed by the kafka-clients jar of the release that
// describes that version, written back to exactly the same bytes, and seen by Kafka's JSON
// converters with the same field values. Needs Java and what `npm run setup` fetches (the
// message specs and the Kafka jars in the devkit cache); both are preconditions, not skips.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_SCHEMAS } from '../../../src/codec/generated/schema.js';
import { RELEASES } from '../../../scripts/codegen/generate.js';
import { crossCheckWithKafka, versionSources, type ReleaseCheck } from '../../../scripts/codegen/crosscheck/kafka-crosscheck.js';
import { versionsOf } from './samples.js';

const specRoot = join(process.cwd(), '.turnout/specs');

describe("the codec against Kafka's own message classes", () => {
  let checks: ReleaseCheck[];

  beforeAll(async () => {
    const missing = RELEASES.filter((r) => !existsSync(join(specRoot, r)));
    if (missing.length > 0) throw new Error(`Kafka message specs missing in ${specRoot} (${missing.join(', ')}): run \`npm run setup\``);
    checks = await crossCheckWithKafka(versionSources(specRoot));
  }, 600_000);

  it('covers every api and version of the codec, each checked by the release that describes it', () => {
    const checked = new Set(checks.flatMap((c) => c.cases.map((k) => `${k.apiKey}/${k.version}/${k.direction}`)));
    const expected = API_SCHEMAS.flatMap((api) => versionsOf(api).flatMap((v) => [`${api.apiKey}/${v}/request`, `${api.apiKey}/${v}/response`]));
    expect(expected.length).toBeGreaterThan(0);
    expect([...checked].sort()).toEqual([...new Set(expected)].sort());
    expect(checks.map((c) => c.release)).toEqual([...RELEASES].sort());
  });

  it('every body Turnout encodes is parsed by Kafka and written back to the same bytes', () => {
    for (const c of checks) expect(c.wireFailures, `kafka-clients ${c.release}`).toEqual([]);
  });

  it('Kafka reads the same value in every field', () => {
    for (const c of checks) expect(c.fieldFailures.slice(0, 50), `kafka-clients ${c.release}`).toEqual([]);
  });
});
