import { describe, expect, it } from 'vitest';
import { createFetchRequest, createFetchResponse, createProduceRequest, createProduceResponse } from '../../../src/codec/index.js';
import { TopicIdMap } from '../../../src/routing/topic-id-map.js';
import {
  fetchRequestTopicIdsToReal,
  fetchResponseTopicIdsToVirtual,
  fetchTopicName,
  produceRequestTopicIdsToReal,
  produceResponseTopicIdsToVirtual,
  produceTopicName,
} from '../../../src/routing/topic-id-rewrite.js';

const REAL_A = 'cmVhbEFBQUFBQUFBQUFBQQ';
const REAL_B = 'cmVhbEJCQUFBQUFBQUFBQQ';
const STRANGER = 'c3RyYW5nZXJBQUFBQUFBQQ';

function maps() {
  const topicIds = new TopicIdMap();
  const virtualId = topicIds.observeServing('a', 'orders', REAL_A).virtualId;
  topicIds.observeOther('b', 'orders', REAL_B);
  return { topicIds, virtualId };
}

describe('topic ids in Fetch and Produce parts', () => {
  it('names topics by virtual id from v13 and by name before', () => {
    const { topicIds, virtualId } = maps();
    expect(fetchTopicName({ topic: '', topicId: virtualId }, 13, topicIds)).toBe('orders');
    expect(fetchTopicName({ topic: 'orders', topicId: virtualId }, 12, topicIds)).toBe('orders');
    expect(fetchTopicName({ topic: '', topicId: STRANGER }, 13, topicIds)).toBeUndefined();
    expect(produceTopicName({ name: '', topicId: virtualId }, 13, topicIds)).toBe('orders');
    expect(produceTopicName({ name: 'orders', topicId: virtualId }, 12, topicIds)).toBe('orders');
  });

  it("translates a Fetch part's ids, forgotten topics included, to the destination backend's and back", () => {
    const { topicIds, virtualId } = maps();
    const req = createFetchRequest();
    req.topics = [{ topic: '', topicId: virtualId, partitions: [] }, { topic: '', topicId: STRANGER, partitions: [] }];
    req.forgottenTopicsData = [{ topic: '', topicId: virtualId, partitions: [1] }];
    expect(fetchRequestTopicIdsToReal(req, 13, 'b', topicIds)).toBe(1);
    expect(req.topics.map((t) => t.topicId)).toEqual([REAL_B, STRANGER]);
    expect(req.forgottenTopicsData[0].topicId).toBe(REAL_B);

    const res = createFetchResponse();
    res.responses = [{ topic: '', topicId: REAL_B, partitions: [] }, { topic: '', topicId: REAL_A, partitions: [] }];
    expect(fetchResponseTopicIdsToVirtual(res, 13, 'b', topicIds)).toBe(1);
    expect(res.responses.map((t) => t.topicId)).toEqual([virtualId, REAL_A]);
  });

  it('leaves Fetch before v13 alone', () => {
    const { topicIds, virtualId } = maps();
    const req = createFetchRequest();
    req.topics = [{ topic: 'orders', topicId: virtualId, partitions: [] }];
    expect(fetchRequestTopicIdsToReal(req, 12, 'a', topicIds)).toBe(0);
    expect(req.topics[0].topicId).toBe(virtualId);
  });

  it("translates a Produce v13 part's ids and its answer", () => {
    const { topicIds, virtualId } = maps();
    const req = createProduceRequest();
    req.topicData = [{ name: '', topicId: virtualId, partitionData: [] }];
    expect(produceRequestTopicIdsToReal(req, 13, 'a', topicIds)).toBe(0);
    expect(req.topicData[0].topicId).toBe(REAL_A);
    expect(produceRequestTopicIdsToReal(req, 12, 'b', topicIds)).toBe(0);
    const res = createProduceResponse();
    res.responses = [{ name: '', topicId: REAL_A, partitionResponses: [] }];
    expect(produceResponseTopicIdsToVirtual(res, 13, 'a', topicIds)).toBe(0);
    expect(res.responses[0].topicId).toBe(virtualId);
  });
});
