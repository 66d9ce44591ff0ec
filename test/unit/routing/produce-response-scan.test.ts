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
import { produceResponseMayNameBrokers, scanProduceResponse } from '../../../src/routing/produce-response-scan.js';
import { Rng } from '../codec/samples.js';

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

describe('scanProduceResponse', () => {
  for (const version of [3, 5, 7, 8, 9, 12, 13]) {
    it(`tells a v${version} answer with a partition error from one without`, () => {
      expect(scanProduceResponse(frame(version, answer()), version)?.hasErrors).toBe(true);
      const clean = answer();
      for (const t of clean.responses) {
        const p = t.partitionResponses[1];
        p.errorCode = 0;
        p.errorMessage = null;
        p.recordErrors = [];
      }
      expect(scanProduceResponse(frame(version, clean), version)?.hasErrors).toBe(false);
    });
  }

  it('finds each topic id where it sits (v13)', () => {
    const m = answer();
    m.responses[1].topicId = 'AAECAwQFBgcICQoLDA0ODw';
    const f = frame(13, m);
    const at = scanProduceResponse(f, 13)?.topicIdOffsets ?? [];
    expect(at.map((o) => f.toString('base64url', o, o + 16))).toEqual(['fzyaHgsdTC6fABI0VniavA', 'AAECAwQFBgcICQoLDA0ODw']);
  });

  it('names no topic id offsets before v13', () => {
    expect(scanProduceResponse(frame(12, answer()), 12)?.topicIdOffsets).toEqual([]);
    expect(scanProduceResponse(frame(7, answer()), 7)?.topicIdOffsets).toEqual([]);
  });

  for (const version of [3, 5, 8]) {
    it(`gives up on a truncated or padded v${version} answer`, () => {
      const whole = frame(version, answer());
      for (const cut of [9, 14, 30, whole.length - 1]) expect(scanProduceResponse(whole.subarray(0, cut), version)).toBeNull();
      expect(scanProduceResponse(Buffer.concat([whole, Buffer.from([0])]), version)).toBeNull();
    });
  }

  it('gives up on a v8 error message whose length is below -1 (null)', () => {
    const m = answer();
    for (const t of m.responses) for (const p of t.partitionResponses) Object.assign(p, { errorCode: 0, errorMessage: null, recordErrors: [] });
    const f = frame(8, m);
    // The last partition's error message, null, sits just before the throttle time.
    expect(f.readInt16BE(f.length - 6)).toBe(-1);
    expect(scanProduceResponse(f, 8)).not.toBeNull();
    f.writeInt16BE(-2, f.length - 6);
    expect(scanProduceResponse(f, 8)).toBeNull();
  });

  it('gives up on a version before 3, a tagged field or a truncated frame', () => {
    expect(scanProduceResponse(frame(2, answer()), 2)).toBeNull();
    const m = answer();
    const leader = createLeaderIdAndEpoch();
    leader.leaderId = 2;
    m.responses[0].partitionResponses[0].currentLeader = leader;
    expect(scanProduceResponse(frame(12, m), 12)).toBeNull();
    const whole = frame(13, answer());
    for (const cut of [9, 30, whole.length - 1]) expect(scanProduceResponse(whole.subarray(0, cut), 13)).toBeNull();
  });
});

describe('scanProduceResponse on damaged answers', () => {
  for (const version of [3, 5, 8, 9, 12, 13]) {
    it(`never throws on a v${version} answer with bytes changed or cut, and places topic ids inside the frame`, () => {
      const rng = new Rng(0x5eed + version);
      const whole = frame(version, answer());
      for (let trial = 0; trial < 2_000; trial++) {
        const damaged = Buffer.from(whole.subarray(0, rng.int(8, whole.length)));
        for (let flips = rng.int(1, 4); flips > 0; flips--) damaged[rng.int(8, Math.max(8, damaged.length - 1))] = rng.int(0, 255);
        const scan = scanProduceResponse(damaged, version);
        for (const at of scan?.topicIdOffsets ?? []) expect(at + 16).toBeLessThanOrEqual(damaged.length);
      }
    });
  }
});
