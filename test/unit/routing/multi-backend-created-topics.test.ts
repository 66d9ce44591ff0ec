// A topic created through Turnout that its backend's broker does not list yet is answered
// LEADER_NOT_AVAILABLE (retriable), not UNKNOWN_TOPIC_OR_PARTITION, until it is deleted again.
import { describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeResponseFrame } from '../../../src/codec/index.js';
import {
  createCreatableTopic,
  createCreatableTopicResult,
  createCreateTopicsRequest,
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
} from '../../../src/codec/generated/create-topics.js';
import { createDeletableTopicResult, createDeleteTopicState, createDeleteTopicsRequest, decodeDeleteTopicsRequest, decodeDeleteTopicsResponse, encodeDeleteTopicsRequest } from '../../../src/codec/generated/delete-topics.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import type { ClientSession } from '../../../src/net/request-router.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION } from '../../../src/routing/error-codes.js';
import { exchange, learnMetadata, twoBackendRouter, twoBackendSession } from './two-backend-router.js';

const NEW_TOPIC = 'orders.new';

/** A router whose backends create and delete any topic asked, and whose Metadata never lists orders.new (a broker that has not learnt it). */
async function rig(): Promise<{ router: MultiBackendRouter; session: ClientSession; backendsAsked: string[] }> {
  const router = twoBackendRouter();
  const backendsAsked: string[] = [];
  const session = twoBackendSession({
    leaderOf: () => 1,
    leaderEpoch: 3,
    answer: (address, frame, h) => {
      backendsAsked.push(`${h.apiKey}@${address.backend}`);
      if (h.apiKey === ApiKey.CreateTopics) {
        const { body } = decodeRequestFrame(frame, decodeCreateTopicsRequest);
        const topics = body.topics.map((t) => ({ ...createCreatableTopicResult(), name: t.name, topicId: 'AAAAAAAAAAAAAAAAAAAACQ', numPartitions: t.numPartitions, replicationFactor: t.replicationFactor }));
        return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.CreateTopics, h.apiVersion, { throttleTimeMs: 0, topics }));
      }
      if (h.apiKey === ApiKey.DeleteTopics) {
        const { body } = decodeRequestFrame(frame, decodeDeleteTopicsRequest);
        const responses = body.topics.map((t) => ({ ...createDeletableTopicResult(), name: t.name }));
        return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.DeleteTopics, h.apiVersion, { throttleTimeMs: 0, responses }));
      }
      throw new Error(`unexpected api ${h.apiKey}`);
    },
  });
  await learnMetadata(router, session);
  return { router, session, backendsAsked };
}

async function ask(router: MultiBackendRouter, session: ClientSession, apiKey: number, version: number, frame: Buffer): Promise<Buffer> {
  const ex = exchange(apiKey, version, frame);
  router.routeRequest(session, ex);
  return (await ex.deferred) as Buffer;
}

async function newTopicError(router: MultiBackendRouter, session: ClientSession): Promise<number | undefined> {
  const req = createMetadataRequest();
  req.topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: NEW_TOPIC }];
  const frame = await ask(router, session, ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, req, encodeMetadataRequest));
  return decodeResponseFrame(frame, ApiKey.Metadata, 12, decodeMetadataResponse).body.topics.find((t) => t.name === NEW_TOPIC)?.errorCode;
}

describe('a topic created through Turnout', () => {
  it('is not yet available, rather than unknown, while its backend does not list it, and unknown again once deleted', async () => {
    const { router, session, backendsAsked } = await rig();
    expect(await newTopicError(router, session)).toBe(UNKNOWN_TOPIC_OR_PARTITION);

    const create = createCreateTopicsRequest();
    create.topics = [{ ...createCreatableTopic(), name: NEW_TOPIC, numPartitions: 2, replicationFactor: 1 }];
    const created = await ask(router, session, ApiKey.CreateTopics, 7, encodeRequestFrame({ apiKey: ApiKey.CreateTopics, apiVersion: 7, correlationId: 7, clientId: 't' }, create, encodeCreateTopicsRequest));
    expect(decodeResponseFrame(created, ApiKey.CreateTopics, 7, decodeCreateTopicsResponse).body.topics.map((t) => t.errorCode)).toEqual([0]);
    expect(backendsAsked).toContain(`${ApiKey.CreateTopics}@east`);
    expect(await newTopicError(router, session)).toBe(LEADER_NOT_AVAILABLE);

    const del = createDeleteTopicsRequest();
    del.topics = [{ ...createDeleteTopicState(), name: NEW_TOPIC }];
    const deleted = await ask(router, session, ApiKey.DeleteTopics, 6, encodeRequestFrame({ apiKey: ApiKey.DeleteTopics, apiVersion: 6, correlationId: 7, clientId: 't' }, del, encodeDeleteTopicsRequest));
    expect(decodeResponseFrame(deleted, ApiKey.DeleteTopics, 6, decodeDeleteTopicsResponse).body.responses.map((r) => r.errorCode)).toEqual([0]);
    expect(await newTopicError(router, session)).toBe(UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('stays unknown when only validated, not created', async () => {
    const { router, session } = await rig();
    const create = createCreateTopicsRequest();
    create.validateOnly = true;
    create.topics = [{ ...createCreatableTopic(), name: NEW_TOPIC, numPartitions: 2, replicationFactor: 1 }];
    await ask(router, session, ApiKey.CreateTopics, 7, encodeRequestFrame({ apiKey: ApiKey.CreateTopics, apiVersion: 7, correlationId: 7, clientId: 't' }, create, encodeCreateTopicsRequest));
    expect(await newTopicError(router, session)).toBe(UNKNOWN_TOPIC_OR_PARTITION);
  });
});
