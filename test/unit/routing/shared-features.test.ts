import { describe, expect, it } from 'vitest';
import { ApiKey, decodeApiVersionsResponse } from '../../../src/codec/index.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { ApiVersionsTable } from '../../../src/routing/api-versions.js';
import { SharedFeatures, type BrokerFeatures } from '../../../src/routing/shared-features.js';

// What a Kafka 4.1.1 and a Kafka 3.9.1 broker of the test rig answer in ApiVersions v3.
const KAFKA_4_1: BrokerFeatures = {
  supportedFeatures: [{ name: 'metadata.version', minVersion: 7, maxVersion: 27 }],
  finalizedFeaturesEpoch: 1466n,
  finalizedFeatures: [
    { name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1 },
    { name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 },
    { name: 'eligible.leader.replicas.version', maxVersionLevel: 1, minVersionLevel: 1 },
    { name: 'kraft.version', maxVersionLevel: 1, minVersionLevel: 1 },
    { name: 'metadata.version', maxVersionLevel: 27, minVersionLevel: 27 },
  ],
};
const KAFKA_3_9: BrokerFeatures = {
  supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 21 }],
  finalizedFeaturesEpoch: 1303n,
  finalizedFeatures: [{ name: 'metadata.version', maxVersionLevel: 21, minVersionLevel: 21 }],
};

describe('SharedFeatures', () => {
  it('presents one cluster’s features as that cluster finalized them', () => {
    const shared = new SharedFeatures().update([KAFKA_4_1, KAFKA_4_1, KAFKA_4_1]);
    expect(shared).toEqual(KAFKA_4_1);
  });

  it('presents only the features every backend finalized, at the lowest level, so transaction.version 2 is not shown over a 3.9 backend', () => {
    const shared = new SharedFeatures().update([KAFKA_4_1, KAFKA_3_9]);
    expect(shared.finalizedFeatures).toEqual([{ name: 'metadata.version', maxVersionLevel: 21, minVersionLevel: 21 }]);
    expect(shared.supportedFeatures).toEqual([{ name: 'metadata.version', minVersion: 7, maxVersion: 21 }]);
    expect(shared.finalizedFeaturesEpoch).toBe(1466n);
  });

  it('raises the epoch when the shared features narrow, so a client that saw the wider set adopts the new one', () => {
    const features = new SharedFeatures();
    expect(features.update([KAFKA_4_1]).finalizedFeaturesEpoch).toBe(1466n);
    const narrowed = features.update([KAFKA_4_1, KAFKA_3_9]);
    expect(narrowed.finalizedFeaturesEpoch).toBe(1467n);
    expect(narrowed.finalizedFeatures.map((f) => f.name)).toEqual(['metadata.version']);
    // Unchanged features keep their epoch; a backend's own newer epoch is followed.
    expect(features.update([KAFKA_4_1, KAFKA_3_9]).finalizedFeaturesEpoch).toBe(1467n);
    expect(features.update([{ ...KAFKA_4_1, finalizedFeaturesEpoch: 1500n }, KAFKA_3_9]).finalizedFeaturesEpoch).toBe(1500n);
  });

  it('leaves out a supported feature whose ranges do not overlap', () => {
    const a: BrokerFeatures = { supportedFeatures: [{ name: 'x.version', minVersion: 0, maxVersion: 1 }], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] };
    const b: BrokerFeatures = { supportedFeatures: [{ name: 'x.version', minVersion: 2, maxVersion: 3 }], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] };
    expect(new SharedFeatures().update([a, b]).supportedFeatures).toEqual([]);
  });

  it('ApiVersions v3 over a 4.1 and a 3.9 backend finalizes no transaction.version', () => {
    const table = new ApiVersionsTable();
    const apis = new Map([[ApiKey.ApiVersions, { minVersion: 0, maxVersion: 4 }]]);
    table.update([{ ...KAFKA_4_1, apis }, { ...KAFKA_3_9, apis }]);
    const { body } = decodeResponseFrame(table.buildResponse(3, 1), ApiKey.ApiVersions, 3, decodeApiVersionsResponse);
    expect(body.finalizedFeatures?.map((f) => f.name)).toEqual(['metadata.version']);
  });
});
