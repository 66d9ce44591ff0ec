import { describe, expect, it } from 'vitest';
import { ApiKey, DecodeError, createProduceRequest, encodeRequestFrame } from '../../../src/codec/index.js';
import { readProduceAcks } from '../../../src/routing/produce-acks.js';

function produceFrame(version: number, acks: number, transactionalId: string | null, clientId: string | null = 'a-client'): Buffer {
  const m = createProduceRequest();
  m.acks = acks;
  m.timeoutMs = 1000;
  if (version >= 3) m.transactionalId = transactionalId;
  return encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: version, correlationId: 1, clientId }, m);
}

describe('readProduceAcks', () => {
  for (const version of [3, 7, 8, 9, 11, 13]) {
    for (const acks of [0, 1, -1]) {
      it(`reads acks=${acks} from Produce v${version}`, () => {
        expect(readProduceAcks(produceFrame(version, acks, null), version)).toBe(acks);
        expect(readProduceAcks(produceFrame(version, acks, 'txn-1', null), version)).toBe(acks);
      });
    }
  }

  it('rejects a truncated produce request', () => {
    const frame = produceFrame(9, 0, 'a-transactional-id');
    expect(() => readProduceAcks(frame.subarray(0, 20), 9)).toThrow(DecodeError);
  });
});
