// The gate on versions: a version that is not offered is answered UNSUPPORTED_VERSION where the
// api has an error answer (a client pinned to an old version then stops at once), and closed
// on otherwise; the offer is that of a Kafka 4.1.1 broker as recorded from a real one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKey, apiCodec, createProduceRequest, decodeResponseBody, encodeRequestFrame } from '../../../src/codec/index.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ApiVersionsFilter } from '../../../src/pipeline/api-versions-filter.js';
import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import type { FilterOutcome, FilterSession } from '../../../src/pipeline/filter.js';
import { PipelineRequest } from '../../../src/pipeline/pipeline-request.js';
import { ApiVersionsTable } from '../../../src/routing/api-versions.js';
import { toBrokerApiVersions } from '../../../src/routing/backend-topology.js';

const recorded = readFileSync(join(process.cwd(), 'test/fixtures/captured/kafka-4.1.1/0001-kcat-ApiVersions-v3-response.bin'));
const offered = new ApiVersionsTable();
offered.update([toBrokerApiVersions(decodeResponseBody(ApiKey.ApiVersions, 3, recorded.subarray(4)))]);
const filter = new ApiVersionsFilter(() => offered);
const session: FilterSession = { connId: 1, log: createLogger({ level: 'silent' }), listenerName: 'l', ...sessionWithoutSocket() };

function decide(apiKey: number, apiVersion: number, body: unknown): FilterOutcome {
  const frame = encodeRequestFrame({ apiKey, apiVersion, correlationId: 55, clientId: 'pinned' }, body as never);
  return filter.onRequest(new PipelineRequest(frame, apiKey, apiVersion, 55), session);
}

function produce(acks: number): unknown {
  const req = createProduceRequest();
  req.acks = acks;
  req.topicData = [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: null }] }];
  return req;
}

describe('ApiVersionsFilter', () => {
  it('answers Produce v2, which Kafka 4 removed, with UNSUPPORTED_VERSION', async () => {
    const outcome = decide(ApiKey.Produce, 2, produce(-1));
    expect(outcome.kind).toBe('answer');
    const frame = await (outcome as { response: Buffer | Promise<Buffer> }).response;
    const res = decodeResponseFrame(frame, ApiKey.Produce, 2, apiCodec(ApiKey.Produce)!.decodeResponse).body as Record<string, any>;
    expect(frame.readInt32BE(4)).toBe(55);
    expect(res.responses[0].partitionResponses[0]).toMatchObject({ index: 0, errorCode: 35 });
  });

  it('wants ApiVersions and requests outside the offer, and no offered request', () => {
    expect(filter.wants(ApiKey.ApiVersions, 3)).toBe(true);
    expect(filter.wants(ApiKey.Produce, 2)).toBe(true);
    expect(filter.wants(ApiKey.Produce, 99)).toBe(true);
    expect(filter.wants(ApiKey.LeaderAndIsr, 7)).toBe(true);
    expect(filter.wants(ApiKey.Produce, 3)).toBe(false);
    expect(filter.wants(ApiKey.Fetch, 17)).toBe(false);
  });

  it('forwards an offered version', () => {
    expect(decide(ApiKey.Produce, 3, produce(-1)).kind).toBe('forward');
  });

  it('closes on a version not offered whose client reads no answer (acks=0), whose api has no error answer, or that the codec does not know', () => {
    expect(decide(ApiKey.Produce, 2, produce(0))).toMatchObject({ kind: 'close', reason: 'unsupported_version' });
    expect(decide(ApiKey.DescribeConfigs, 0, apiCodec(ApiKey.DescribeConfigs)!.createRequest())).toMatchObject({ kind: 'close', reason: 'unsupported_version' });
    const frame = encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 13, correlationId: 55, clientId: 'pinned' }, produce(-1) as never);
    frame.writeInt16BE(99, 6);
    expect(filter.onRequest(new PipelineRequest(frame, ApiKey.Produce, 99, 55), session)).toMatchObject({ kind: 'close', reason: 'unsupported_version' });
  });

  it('closes on an api that is not offered at all', () => {
    expect(decide(ApiKey.LeaderAndIsr, 7, apiCodec(ApiKey.LeaderAndIsr)!.createRequest())).toMatchObject({ kind: 'close', reason: 'unsupported_version' });
  });
});
