import { describe, expect, it } from 'vitest';
import { ApiKey, decodeApiVersionsResponse } from '../../../src/codec/index.js';
import { ApiVersionsTable, type BrokerApiVersions } from '../../../src/routing/api-versions.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';

function broker(ranges: Array<[number, number, number]>): BrokerApiVersions {
  return {
    apis: new Map(ranges.map(([k, min, max]) => [k, { minVersion: min, maxVersion: max }])),
    supportedFeatures: [{ name: 'metadata.version', minVersion: 7, maxVersion: 27 }],
    finalizedFeaturesEpoch: 12n,
    finalizedFeatures: [{ name: 'metadata.version', maxVersionLevel: 27, minVersionLevel: 27 }],
  };
}

describe('ApiVersionsTable', () => {
  it('offers the intersection of the codec and every broker', () => {
    const t = new ApiVersionsTable();
    t.update([
      broker([[ApiKey.Produce, 3, 12], [ApiKey.Fetch, 4, 17], [ApiKey.Metadata, 0, 13], [ApiKey.ApiVersions, 0, 4]]),
      broker([[ApiKey.Produce, 3, 11], [ApiKey.Fetch, 4, 18], [ApiKey.ApiVersions, 0, 4]]),
    ]);
    expect(t.range(ApiKey.Produce)).toEqual({ minVersion: 3, maxVersion: 11 });
    expect(t.range(ApiKey.Fetch)).toEqual({ minVersion: 4, maxVersion: 17 });
    // one broker lacks Metadata: not offered
    expect(t.range(ApiKey.Metadata)).toBeUndefined();
    expect(t.isSupported(ApiKey.Produce, 12)).toBe(false);
    expect(t.isSupported(ApiKey.Produce, 11)).toBe(true);
    expect(t.isSupported(999, 0)).toBe(false);
  });

  it('offers the apis Turnout answers itself whatever the brokers say, and keeps those offered by each caller', () => {
    const t = new ApiVersionsTable();
    t.offerLocalApis(new Map([[ApiKey.SaslHandshake, { minVersion: 0, maxVersion: 1 }]]));
    t.update([broker([[ApiKey.Produce, 3, 11], [ApiKey.ApiVersions, 0, 4]])]);
    t.offerLocalApis(new Map([[ApiKey.DescribeAcls, { minVersion: 1, maxVersion: 3 }]]));
    expect(t.range(ApiKey.SaslHandshake)).toEqual({ minVersion: 0, maxVersion: 1 });
    expect(t.range(ApiKey.DescribeAcls)).toEqual({ minVersion: 1, maxVersion: 3 });
  });

  it('never offers broker-to-broker apis even when brokers advertise them', () => {
    const t = new ApiVersionsTable();
    t.update([broker([[ApiKey.WriteTxnMarkers, 1, 1], [ApiKey.LeaderAndIsr, 0, 7], [ApiKey.ApiVersions, 0, 4]])]);
    expect(t.range(ApiKey.WriteTxnMarkers)).toBeUndefined();
    expect(t.range(ApiKey.LeaderAndIsr)).toBeUndefined();
  });

  it('answers ApiVersions v3 with the offered apis and the backend features', () => {
    const t = new ApiVersionsTable();
    t.update([broker([[ApiKey.Produce, 3, 11], [ApiKey.ApiVersions, 0, 4]])]);
    const frame = t.buildResponse(3, 77);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(77);
    const { body } = decodeResponseFrame(frame, ApiKey.ApiVersions, 3, decodeApiVersionsResponse);
    expect(body.errorCode).toBe(0);
    expect(body.apiKeys).toContainEqual({ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11 });
    expect(body.finalizedFeatures).toEqual([{ name: 'metadata.version', maxVersionLevel: 27, minVersionLevel: 27 }]);
  });

  it('answers a too-new ApiVersions request with v0 UNSUPPORTED_VERSION and the api list', () => {
    const t = new ApiVersionsTable();
    t.update([broker([[ApiKey.Produce, 3, 11], [ApiKey.ApiVersions, 0, 4]])]);
    const frame = t.buildResponse(99, 5);
    const { body } = decodeResponseFrame(frame, ApiKey.ApiVersions, 0, decodeApiVersionsResponse);
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys).toContainEqual({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 });
  });
});
