import { describe, expect, it } from 'vitest';
import {
  APIS,
  ApiKey,
  apiCodec,
  apiCodec as codecOf,
  createFetchRequest,
  createHeartbeatRequest,
  createListOffsetsRequest,
  createProduceRequest,
  encodeRequestFrame,
} from '../../../src/codec/index.js';
import { UpstreamError } from '../../../src/net/upstream-connection.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { buildFailureResponse, buildUnsupportedVersionResponse, type VersionOffer } from '../../../src/routing/failure-responses.js';
import { exchangeFor, makeRouter } from './router-fixture.js';

const lost = new UpstreamError('connection_lost', 'main', 101, 'broker went away');

function versionsOf(apiKey: number): number[] {
  const a = APIS.find((x) => x.apiKey === apiKey)!;
  return Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => a.minVersion + i);
}

function failed(apiKey: number, version: number, body: unknown): Record<string, any> {
  const { router, session } = makeRouter();
  const frame = encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 999, clientId: 'c' }, body as never);
  const ex = exchangeFor(apiKey, version, frame);
  const out = router.failureResponse(session, ex, lost);
  expect(out).not.toBeNull();
  expect(out!.readInt32BE(4)).toBe(42);
  return decodeResponseFrame(out!, apiKey, version, apiCodec(apiKey)!.decodeResponse).body as Record<string, any>;
}

describe('failure responses', () => {
  it('answers Produce with NOT_LEADER_OR_FOLLOWER for every partition, in every version', () => {
    for (const v of versionsOf(ApiKey.Produce)) {
      const req = createProduceRequest();
      req.acks = -1;
      req.topicData = [
        {
          name: v < 13 ? 'orders' : '',
          topicId: v >= 13 ? 'AAAAAAAAAAAAAAAAAAAAAQ' : 'AAAAAAAAAAAAAAAAAAAAAA',
          partitionData: [
            { index: 0, records: null },
            { index: 2, records: null },
          ],
        },
      ];
      const res = failed(ApiKey.Produce, v, req);
      expect(res.responses[0].partitionResponses.map((p: any) => [p.index, p.errorCode])).toEqual([
        [0, 6],
        [2, 6],
      ]);
    }
  });

  it('answers Fetch with NOT_LEADER_OR_FOLLOWER for every partition, in every version', () => {
    for (const v of versionsOf(ApiKey.Fetch)) {
      const req = createFetchRequest();
      req.topics = [
        {
          topic: v < 13 ? 'orders' : '',
          topicId: v >= 13 ? 'AAAAAAAAAAAAAAAAAAAAAQ' : 'AAAAAAAAAAAAAAAAAAAAAA',
          partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 5n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }],
        },
      ];
      if (v >= 7) req.sessionId = 0;
      const res = failed(ApiKey.Fetch, v, req);
      expect(res.responses[0].partitions[0]).toMatchObject({ partitionIndex: 1, errorCode: 6 });
    }
  });

  it('answers ListOffsets and Heartbeat with retriable errors', () => {
    for (const v of versionsOf(ApiKey.ListOffsets)) {
      const req = createListOffsetsRequest();
      req.topics = [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: v === 0 ? 1 : 1 }] }];
      const res = failed(ApiKey.ListOffsets, v, req);
      expect(res.topics[0].partitions[0].errorCode).toBe(6);
    }
    const hb = createHeartbeatRequest();
    hb.groupId = 'g';
    hb.memberId = 'm';
    expect(failed(ApiKey.Heartbeat, 4, hb).errorCode).toBe(16);
  });

  it('answers every version of the group coordinator apis with NOT_COORDINATOR', () => {
    for (const apiKey of [ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.LeaveGroup, ApiKey.ConsumerGroupHeartbeat, ApiKey.Heartbeat]) {
      for (const v of versionsOf(apiKey)) {
        const res = failed(apiKey, v, codecOf(apiKey)!.createRequest());
        expect(res.errorCode, `api ${apiKey} v${v}`).toBe(16);
      }
    }
  });

  it('answers OffsetCommit with NOT_COORDINATOR per partition and FindCoordinator with COORDINATOR_NOT_AVAILABLE', () => {
    for (const v of versionsOf(ApiKey.OffsetCommit)) {
      const req = codecOf(ApiKey.OffsetCommit)!.createRequest() as any;
      req.topics = [{ name: 'orders', partitions: [{ partitionIndex: 3, committedOffset: 5n, commitTimestamp: -1n, committedLeaderEpoch: -1, committedMetadata: '' }] }];
      expect(failed(ApiKey.OffsetCommit, v, req).topics[0].partitions[0]).toEqual(expect.objectContaining({ partitionIndex: 3, errorCode: 16 }));
    }
    for (const v of versionsOf(ApiKey.FindCoordinator)) {
      const req = codecOf(ApiKey.FindCoordinator)!.createRequest() as any;
      if (v >= 4) req.coordinatorKeys = ['g1', 'g2'];
      else req.key = 'g1';
      const res = failed(ApiKey.FindCoordinator, v, req);
      if (v >= 4) expect(res.coordinators.map((c: any) => [c.key, c.errorCode, c.nodeId])).toEqual([['g1', 15, -1], ['g2', 15, -1]]);
      else expect([res.errorCode, res.nodeId]).toEqual([15, -1]);
    }
  });

  it('has no error response for apis without a retriable per-request error', () => {
    const { router, session } = makeRouter();
    expect(router.failureResponse(session, exchangeFor(ApiKey.Metadata, 12), lost)).toBeNull();
  });
});

describe('answers to a version that is not offered', () => {
  // As over a Kafka 4 broker: Produce from v3 only.
  const offer: VersionOffer = { isSupported: (apiKey, version) => apiKey !== ApiKey.Produce || version >= 3 };

  function produceV2(): Buffer {
    const req = createProduceRequest();
    req.acks = -1;
    req.topicData = [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: null }, { index: 1, records: null }] }];
    return encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 31, clientId: 'old' }, req);
  }

  function produceErrors(frame: Buffer | null, version: number): Array<[number, number]> {
    expect(frame).not.toBeNull();
    const res = decodeResponseFrame(frame as Buffer, ApiKey.Produce, version, apiCodec(ApiKey.Produce)!.decodeResponse).body as Record<string, any>;
    return res.responses[0].partitionResponses.map((p: any) => [p.index, p.errorCode]);
  }

  it('answers a failed request of a version no longer offered UNSUPPORTED_VERSION, not a retriable error', () => {
    const ex = { apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 31, frame: produceV2() };
    expect(produceErrors(buildFailureResponse(ex, offer), 2)).toEqual([[0, 35], [1, 35]]);
    // Without that knowledge, or for an offered version, the failure stays retriable.
    expect(produceErrors(buildFailureResponse(ex), 2)).toEqual([[0, 6], [1, 6]]);
    expect(produceErrors(buildFailureResponse(ex, { isSupported: () => true }), 2)).toEqual([[0, 6], [1, 6]]);
  });

  it('the router answers a failed Produce v2 UNSUPPORTED_VERSION once its backend is known to refuse it', () => {
    const { router, session } = makeRouter();
    // A Kafka 4 broker's advertisement: Produce from v0, Fetch from v4.
    const ranges: Array<[number, number, number]> = [[ApiKey.Produce, 0, 13], [ApiKey.Fetch, 4, 18], [ApiKey.ApiVersions, 0, 4]];
    router.offeredApis.update([{ apis: new Map(ranges.map(([k, min, max]) => [k, { minVersion: min, maxVersion: max }])), supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] }]);
    const v2 = exchangeFor(ApiKey.Produce, 2, produceV2());
    expect(produceErrors(router.failureResponse(session, v2, lost), 2)).toEqual([[0, 35], [1, 35]]);
    const req = createProduceRequest();
    req.acks = -1;
    req.topicData = [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: null }] }];
    const v3 = exchangeFor(ApiKey.Produce, 3, encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 3, correlationId: 31, clientId: 'c' }, req));
    expect(produceErrors(router.failureResponse(session, v3, lost), 3)).toEqual([[0, 6]]);
  });

  it('makes UNSUPPORTED_VERSION answers in the version asked, with the client correlation id', () => {
    const frame = buildUnsupportedVersionResponse({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 31, frame: produceV2() });
    expect(frame?.readInt32BE(4)).toBe(31);
    expect(produceErrors(frame, 2)).toEqual([[0, 35], [1, 35]]);
    const fetch = createFetchRequest();
    fetch.topics = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 4, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }] }];
    const fetchV3 = encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 3, correlationId: 32, clientId: 'old' }, fetch);
    const answer = buildUnsupportedVersionResponse({ apiKey: ApiKey.Fetch, apiVersion: 3, correlationId: 32, frame: fetchV3 });
    const res = decodeResponseFrame(answer as Buffer, ApiKey.Fetch, 3, apiCodec(ApiKey.Fetch)!.decodeResponse).body as Record<string, any>;
    expect(res.responses[0].partitions[0]).toMatchObject({ partitionIndex: 4, errorCode: 35 });
    expect(buildUnsupportedVersionResponse({ apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 1, frame: Buffer.alloc(0) })).toBeNull();
  });
});
