import { describe, expect, it } from 'vitest';
import { ApiKey, encodeResponseFrame } from '../../../src/codec/index.js';
import {
  createBatchIndexAndErrorMessage,
  createLeaderIdAndEpoch,
  createNodeEndpoint,
  createPartitionProduceResponse,
  createProduceResponse,
  createTopicProduceResponse,
  type ProduceResponse,
} from '../../../src/codec/generated/produce.js';
import { produceResponseMayNameBrokers } from '../../../src/routing/produce-response-scan.js';

/** Two topics of several partitions, one partition with record errors and a message: every variable-length part. */
function answer(): ProduceResponse {
  const m = createProduceResponse();
  m.throttleTimeMs = 7;
  for (const [name, partitions] of [['orders', 3], ['a-much-longer-topic-name.with.dots', 2]] as const) {
    const t = createTopicProduceResponse();
    t.name = name;
    t.topicId = 'fzyaHgsdTC6fABI0VniavA';
    for (let i = 0; i < partitions; i++) {
      const p = createPartitionProduceResponse();
      p.index = i;
      p.baseOffset = BigInt(1000 + i);
      p.logAppendTimeMs = -1n;
      p.logStartOffset = 0n;
      if (i === 1) {
        p.errorCode = 18;
        p.errorMessage = 'record too large';
        const e = createBatchIndexAndErrorMessage();
        e.batchIndex = 3;
        e.batchIndexErrorMessage = 'bad record';
        const e2 = createBatchIndexAndErrorMessage();
        e2.batchIndex = 4;
        p.recordErrors = [e, e2];
      }
      t.partitionResponses.push(p);
    }
    m.responses.push(t);
  }
  return m;
}

const frame = (version: number, m: ProduceResponse): Buffer => encodeResponseFrame(42, ApiKey.Produce, version, m);

describe('produceResponseMayNameBrokers', () => {
  for (const version of [10, 11, 12, 13]) {
    it(`says no for a v${version} answer without CurrentLeader or NodeEndpoints`, () => {
      expect(produceResponseMayNameBrokers(frame(version, answer()), version)).toBe(false);
    });

    it(`says yes for a v${version} answer with a partition's CurrentLeader`, () => {
      const m = answer();
      const leader = createLeaderIdAndEpoch();
      leader.leaderId = 2;
      leader.leaderEpoch = 5;
      m.responses[1].partitionResponses[1].currentLeader = leader;
      expect(produceResponseMayNameBrokers(frame(version, m), version)).toBe(true);
    });

    it(`says yes for a v${version} answer with NodeEndpoints`, () => {
      const m = answer();
      const e = createNodeEndpoint();
      e.nodeId = 2;
      e.host = 'broker-2';
      e.port = 9092;
      m.nodeEndpoints = [e];
      expect(produceResponseMayNameBrokers(frame(version, m), version)).toBe(true);
    });

    it(`says yes (decode it) for a truncated or padded v${version} answer`, () => {
      const whole = frame(version, answer());
      for (const cut of [9, 12, 20, whole.length - 1]) expect(produceResponseMayNameBrokers(whole.subarray(0, cut), version)).toBe(true);
      expect(produceResponseMayNameBrokers(Buffer.concat([whole, Buffer.from([0])]), version)).toBe(true);
    });
  }

  it('says no for an answer with no topics', () => {
    expect(produceResponseMayNameBrokers(frame(12, createProduceResponse()), 12)).toBe(false);
  });
});
