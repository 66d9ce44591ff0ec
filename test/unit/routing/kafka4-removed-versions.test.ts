// What a Kafka 4 broker really accepts, against Kafka itself: the versions it removed come from
// the message specs of 3.9.1 and 4.1.1, and what brokers advertise from ApiVersions answers
// recorded from real 4.1.1 and 3.9.1 brokers (test/fixtures/captured).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponseBody } from '../../../src/codec/index.js';
import { ApiVersionsTable, type BrokerApiVersions } from '../../../src/routing/api-versions.js';
import { toBrokerApiVersions } from '../../../src/routing/backend-topology.js';
import { acceptedRange, KAFKA_4_MIN_VERSIONS, removedKafka4Versions } from '../../../src/routing/kafka4-removed-versions.js';
import { offeredVersionsOf } from '../../../src/routing/multi/offered-apis.js';
import { loadSpecDir, stableVersions } from '../../../scripts/codegen/spec.js';

/** A real broker's ApiVersions v3 answer (kcat's first request), as the version table takes it. */
function recordedBroker(release: string): BrokerApiVersions {
  const frame = readFileSync(join(process.cwd(), `test/fixtures/captured/kafka-${release}/0001-kcat-ApiVersions-v3-response.bin`));
  // Correlation id, then the body (ApiVersions answers with response header v0).
  return toBrokerApiVersions(decodeResponseBody(ApiKey.ApiVersions, 3, frame.subarray(4)));
}

const kafka4 = recordedBroker('4.1.1');
const kafka3 = recordedBroker('3.9.1');

describe('the versions Kafka 4 removed', () => {
  it('are exactly those the 3.9.1 specs accept and the 4.1.1 specs do not, for every api both have', () => {
    const specRoot = join(process.cwd(), '.turnout/specs');
    for (const r of ['3.9.1', '4.1.1']) expect(existsSync(join(specRoot, r)), `Kafka ${r} message specs in ${specRoot}: run \`npm run setup\``).toBe(true);
    const stable = (release: string): Map<number, number[]> =>
      new Map(loadSpecDir(join(specRoot, release)).filter((s) => s.type === 'request').map((s) => [s.apiKey, stableVersions(s)]));
    const before = stable('3.9.1');
    const after = stable('4.1.1');
    const raised = new Map<number, number>();
    for (const [apiKey, versions] of before) {
      const now = after.get(apiKey);
      // An api 4.x has no version of at all went with ZooKeeper, not with KIP-896.
      if (now === undefined || now.length === 0 || versions.length === 0) continue;
      if (now[0] > versions[0]) raised.set(apiKey, now[0]);
    }
    expect(new Map([...KAFKA_4_MIN_VERSIONS].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...raised].sort((a, b) => a[0] - b[0])));
  });

  it('include Produce v0-2, which a 4.1.1 broker still advertises', () => {
    expect(kafka4.apis.get(ApiKey.Produce)?.minVersion).toBe(0);
    expect(removedKafka4Versions(kafka4)).toBe(true);
    expect(acceptedRange(kafka4, ApiKey.Produce)).toEqual({ minVersion: 3, maxVersion: kafka4.apis.get(ApiKey.Produce)?.maxVersion });
    // What it advertises honestly stays as it is.
    expect(acceptedRange(kafka4, ApiKey.Fetch)).toEqual(kafka4.apis.get(ApiKey.Fetch));
    expect(acceptedRange(kafka4, ApiKey.Metadata)).toEqual(kafka4.apis.get(ApiKey.Metadata));
  });

  it('are still accepted by a 3.9.1 broker', () => {
    expect(removedKafka4Versions(kafka3)).toBe(false);
    expect(acceptedRange(kafka3, ApiKey.Produce)).toEqual({ minVersion: 0, maxVersion: 11 });
    expect(acceptedRange(kafka3, ApiKey.Fetch)?.minVersion).toBe(0);
  });
});

describe('versions offered to clients', () => {
  function offered(...brokers: BrokerApiVersions[]): ApiVersionsTable {
    const t = new ApiVersionsTable();
    t.update(brokers);
    return t;
  }

  it('start at Produce v3 over Kafka 4.1.1, at v0 over Kafka 3.9.1, and at v3 over both', () => {
    expect(offered(kafka4).range(ApiKey.Produce)?.minVersion).toBe(3);
    expect(offered(kafka3).range(ApiKey.Produce)).toEqual({ minVersion: 0, maxVersion: 11 });
    expect(offered(kafka3, kafka4).range(ApiKey.Produce)).toEqual({ minVersion: 3, maxVersion: 11 });
    expect(offered(kafka4).isSupported(ApiKey.Produce, 2)).toBe(false);
    expect(offered(kafka4).range(ApiKey.Fetch)?.minVersion).toBe(4);
  });

  it('are advertised as Kafka 4 advertises them: Produce from v0, for librdkafka compression, refused below v3', () => {
    const answer = (t: ApiVersionsTable): Map<number, [number, number]> => {
      const body = decodeResponseBody(ApiKey.ApiVersions, 3, t.buildResponse(3, 1).subarray(8)) as { apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }> };
      return new Map(body.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    };
    const both = offered(kafka3, kafka4);
    expect(answer(both).get(ApiKey.Produce)).toEqual([0, 11]);
    expect(both.isSupported(ApiKey.Produce, 0)).toBe(false);
    // Everything else is advertised as accepted.
    expect(answer(both).get(ApiKey.Fetch)).toEqual([4, both.range(ApiKey.Fetch)?.maxVersion]);
    expect(answer(offered(kafka4)).get(ApiKey.Produce)?.[0]).toBe(0);
  });

  it('start at Produce v3 over several backends when one is Kafka 4', () => {
    const t = offered(offeredVersionsOf(kafka3), offeredVersionsOf(kafka4));
    expect(t.range(ApiKey.Produce)).toEqual({ minVersion: 3, maxVersion: 11 });
    expect(t.isSupported(ApiKey.Produce, 2)).toBe(false);
    expect(offered(offeredVersionsOf(kafka3)).isSupported(ApiKey.Produce, 2)).toBe(true);
  });
});
