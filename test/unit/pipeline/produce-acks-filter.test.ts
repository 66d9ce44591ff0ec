import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/codec/index.js';
import { FORWARD, FORWARD_WITHOUT_RESPONSE } from '../../../src/pipeline/filter.js';
import { PipelineRequest } from '../../../src/pipeline/pipeline-request.js';
import { ProduceAcksFilter } from '../../../src/pipeline/produce-acks-filter.js';

/** A Produce v3 request (null transactional id) with `acks` and a client id of `clientIdBytes`, then 2,000 bytes of body. */
function produce(acks: number, clientIdBytes: number): Buffer {
  const size = 2 + 2 + 4 + 2 + clientIdBytes + 2 + 2 + 2000;
  const b = Buffer.alloc(4 + size, 0x61);
  let p = b.writeInt32BE(size, 0);
  p = b.writeInt16BE(0, p);
  p = b.writeInt16BE(3, p);
  p = b.writeInt32BE(7, p);
  p = b.writeInt16BE(clientIdBytes, p) + clientIdBytes;
  p = b.writeInt16BE(-1, p);
  b.writeInt16BE(acks, p);
  return b;
}

/** A request whose frame is still in pieces: its head is the first 512 bytes, and reading `frame` is counted. */
function inPieces(frame: Buffer): { request: PipelineRequest; joins: () => number } {
  let joins = 0;
  const source = {
    head: frame.subarray(0, 512),
    get frame(): Buffer {
      joins++;
      return frame;
    },
  };
  return { request: new PipelineRequest(source, 0, 3, 7), joins: () => joins };
}

describe('ProduceAcksFilter', () => {
  const filter = new ProduceAcksFilter();

  it('reads acks from the head of a request in pieces, never joining it', () => {
    const zero = inPieces(produce(0, 20));
    expect(filter.onRequest(zero.request)).toBe(FORWARD_WITHOUT_RESPONSE);
    const all = inPieces(produce(-1, 20));
    expect(filter.onRequest(all.request)).toBe(FORWARD);
    expect(zero.joins() + all.joins()).toBe(0);
  });

  it('reads the whole frame when a long client id puts acks past the head', () => {
    const zero = inPieces(produce(0, 600));
    expect(filter.onRequest(zero.request)).toBe(FORWARD_WITHOUT_RESPONSE);
    expect(zero.joins()).toBe(1);
    const one = inPieces(produce(1, 600));
    expect(filter.onRequest(one.request)).toBe(FORWARD);
  });

  it('still rejects a whole frame cut short before acks', () => {
    const cut = produce(0, 20).subarray(0, 30);
    cut.writeInt32BE(26, 0);
    expect(() => filter.onRequest(new PipelineRequest(cut, 0, 3, 7))).toThrow(DecodeError);
  });
});
