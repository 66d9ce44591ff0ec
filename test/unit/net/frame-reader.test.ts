import { describe, expect, it } from 'vitest';
import { FramePieces } from '../../../src/net/frame-pieces.js';
import {
  FrameReader,
  type FrameSink,
  FrameTooLargeError,
  NegativeFrameSizeError,
  TruncatedFrameError,
} from '../../../src/net/frame-reader.js';

function frame(body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const out = Buffer.alloc(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

function collect(maxFrameBytes = 1024): { reader: FrameReader; frames: Buffer[] } {
  const frames: Buffer[] = [];
  const reader = new FrameReader(maxFrameBytes, (f) => frames.push(f));
  return { reader, frames };
}

describe('FrameReader', () => {
  it('hands out a frame within one chunk as a view over that chunk', () => {
    const { reader, frames } = collect();
    const chunk = Buffer.concat([frame('hello'), frame('kafka')]);
    reader.push(chunk);
    expect(frames.map((f) => f.subarray(4).toString())).toEqual(['hello', 'kafka']);
    expect(frames[0].buffer).toBe(chunk.buffer);
    expect(frames[1].buffer).toBe(chunk.buffer);
    expect(frames[0].readInt32BE(0)).toBe(5);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('joins a frame split at every possible byte boundary', () => {
    const bytes = Buffer.concat([frame('first'), frame(''), frame('third frame')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { reader, frames } = collect();
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(frames.map((f) => f.subarray(4).toString())).toEqual(['first', '', 'third frame']);
    }
  });

  it('reassembles a stream fed one byte at a time', () => {
    const bytes = Buffer.concat([frame('abc'), frame('defgh')]);
    const { reader, frames } = collect();
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    expect(frames.map((f) => f.subarray(4).toString())).toEqual(['abc', 'defgh']);
  });

  it('accepts a frame exactly at the size limit and rejects one byte over', () => {
    const ok = collect(8);
    ok.reader.push(frame(Buffer.alloc(8)));
    expect(ok.frames).toHaveLength(1);
    const over = collect(8);
    expect(() => over.reader.push(frame(Buffer.alloc(9)))).toThrow(FrameTooLargeError);
  });

  it('rejects a 2 GiB size prefix before any body arrives', () => {
    const { reader } = collect(100 * 1024 * 1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(0x7fffffff, 0);
    expect(() => reader.push(prefix)).toThrow(FrameTooLargeError);
  });

  it('rejects a negative size prefix', () => {
    const { reader } = collect();
    expect(() => reader.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(NegativeFrameSizeError);
  });

  it('reads a size prefix split across chunks', () => {
    const { reader, frames } = collect();
    const bytes = frame('xy');
    reader.push(bytes.subarray(0, 1));
    reader.push(bytes.subarray(1, 3));
    reader.push(bytes.subarray(3));
    expect(frames[0].subarray(4).toString()).toBe('xy');
  });

  it('reports a truncated frame at end of stream', () => {
    const { reader } = collect();
    reader.push(frame('complete'));
    reader.end();
    reader.push(frame('truncated').subarray(0, 7));
    expect(() => reader.end()).toThrow(TruncatedFrameError);
  });

  it('holds frames while paused and releases them in order on resume', () => {
    const frames: string[] = [];
    const reader: FrameReader = new FrameReader(1024, (f) => {
      frames.push(f.subarray(4).toString());
      if (frames.length === 1) reader.pause();
    });
    reader.push(Buffer.concat([frame('a'), frame('b'), frame('c')]));
    expect(frames).toEqual(['a']);
    expect(reader.isPaused).toBe(true);
    reader.resume();
    expect(frames).toEqual(['a', 'b', 'c']);
  });
});

/** A reader that streams frames of at least `minFrameBytes`, recording what every frame became. */
function streaming(minFrameBytes: number, accept: (frameBytes: number, head: Buffer) => boolean = () => true, maxFrameBytes = 1 << 20) {
  const whole: Buffer[] = [];
  const streamed: Array<{ pieces: Buffer[]; ended: boolean; frameBytes: number }> = [];
  const reader = new FrameReader(maxFrameBytes, (f) => whole.push(Buffer.from(f)), {
    minFrameBytes,
    headBytes: 8,
    onFrameStart(frameBytes, head): FrameSink | null {
      if (!accept(frameBytes, head)) return null;
      const entry = { pieces: [] as Buffer[], ended: false, frameBytes };
      streamed.push(entry);
      return {
        push: (b) => entry.pieces.push(Buffer.from(b)),
        end: () => {
          entry.ended = true;
        },
      };
    },
  });
  return { reader, whole, streamed };
}

describe('FrameReader streaming', () => {
  const big = frame(Buffer.from(Array.from({ length: 60 }, (_, i) => i)));
  const small = frame('tiny');

  it("tells how much of the frame in progress is still to come, streamed or held, and 0 between frames", () => {
    for (const minFrameBytes of [32, 1000]) {
      // 32: the big frame is streamed; 1000: it is held until whole.
      const { reader } = streaming(minFrameBytes);
      expect(reader.bytesToFrameEnd).toBe(0);
      reader.push(big.subarray(0, 2));
      expect(reader.bytesToFrameEnd).toBe(0); // its size is not in yet
      reader.push(big.subarray(2, 25));
      expect(reader.bytesToFrameEnd).toBe(big.length - 25);
      reader.push(big.subarray(25, 50));
      expect(reader.bytesToFrameEnd).toBe(big.length - 50);
      reader.push(Buffer.concat([big.subarray(50), small.subarray(0, 6)]));
      expect(reader.bytesToFrameEnd).toBe(small.length - 6);
      reader.push(small.subarray(6));
      expect(reader.bytesToFrameEnd).toBe(0);
    }
  });

  it('streams an incomplete large frame piece by piece, head first and contiguous', () => {
    const { reader, whole, streamed } = streaming(32);
    reader.push(big.subarray(0, 3));
    expect(streamed).toHaveLength(0); // the head is not in yet
    reader.push(big.subarray(3, 20));
    expect(streamed).toHaveLength(1);
    expect(streamed[0].pieces[0].length).toBeGreaterThanOrEqual(8);
    reader.push(big.subarray(20, 40));
    expect(streamed[0].ended).toBe(false);
    reader.push(Buffer.concat([big.subarray(40), small]));
    expect(streamed[0].ended).toBe(true);
    expect(Buffer.concat(streamed[0].pieces).equals(big)).toBe(true);
    expect(streamed[0].frameBytes).toBe(big.length);
    expect(whole.map((f) => f.subarray(4).toString())).toEqual(['tiny']);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('hands out at every split the same bytes, streamed or whole', () => {
    const bytes = Buffer.concat([small, big, small, big, small]);
    for (let a = 1; a < bytes.length; a += 3) {
      for (let b = a + 1; b < bytes.length; b += 7) {
        const { reader, whole, streamed } = streaming(32);
        reader.push(bytes.subarray(0, a));
        reader.push(bytes.subarray(a, b));
        reader.push(bytes.subarray(b));
        const out = [...whole.filter((f) => f.length > 32), ...streamed.map((s) => Buffer.concat(s.pieces))];
        expect(out).toHaveLength(2);
        for (const f of out) expect(f.equals(big)).toBe(true);
        expect(whole.filter((f) => f.length < 32)).toHaveLength(3);
        expect(streamed.every((s) => s.ended)).toBe(true);
      }
    }
  });

  it('gives a large frame that arrives complete whole, as a view', () => {
    const { reader, whole, streamed } = streaming(32);
    const chunk = Buffer.concat([big, small]);
    reader.push(chunk);
    expect(streamed).toHaveLength(0);
    expect(whole).toHaveLength(2);
  });

  it('buffers a declined frame whole and asks only once', () => {
    let asked = 0;
    const { reader, whole, streamed } = streaming(32, () => {
      asked++;
      return false;
    });
    for (let i = 0; i < big.length; i += 5) reader.push(big.subarray(i, i + 5));
    expect(asked).toBe(1);
    expect(streamed).toHaveLength(0);
    expect(whole).toHaveLength(1);
    expect(whole[0].equals(big)).toBe(true);
  });

  it('holds streamed bytes while paused and passes them on resume', () => {
    const { reader, streamed } = streaming(32);
    reader.push(big.subarray(0, 20));
    reader.pause();
    reader.push(big.subarray(20));
    expect(Buffer.concat(streamed[0].pieces).length).toBe(20);
    reader.resume();
    expect(streamed[0].ended).toBe(true);
    expect(Buffer.concat(streamed[0].pieces).equals(big)).toBe(true);
  });

  it('reports a stream that ends inside a streamed frame as truncated', () => {
    const { reader } = streaming(32);
    reader.push(big.subarray(0, 30));
    expect(reader.isStreaming).toBe(true);
    expect(() => reader.end()).toThrow(TruncatedFrameError);
  });

  it('streams a frame over the size cap that its owner takes, and never holds it whole', () => {
    const { reader, whole, streamed } = streaming(32, () => true, 40);
    reader.push(big.subarray(0, 3));
    expect(streamed).toHaveLength(0);
    for (let i = 3; i < big.length; i += 7) reader.push(big.subarray(i, i + 7));
    reader.push(small);
    expect(streamed).toHaveLength(1);
    expect(streamed[0].ended).toBe(true);
    expect(Buffer.concat(streamed[0].pieces).equals(big)).toBe(true);
    expect(whole.map((f) => f.subarray(4).toString())).toEqual(['tiny']);
  });

  it('streams a frame over the size cap even when it arrives complete', () => {
    const { reader, whole, streamed } = streaming(32, () => true, 40);
    reader.push(Buffer.concat([big, small]));
    expect(streamed).toHaveLength(1);
    expect(Buffer.concat(streamed[0].pieces).equals(big)).toBe(true);
    expect(whole).toHaveLength(1);
  });

  it('rejects a frame over the size cap that its owner declines, once its head is in', () => {
    const { reader, whole } = streaming(32, () => false, 40);
    reader.push(big.subarray(0, 6));
    expect(() => reader.push(big.subarray(6, 12))).toThrow(FrameTooLargeError);
    expect(whole).toHaveLength(0);
  });

  it('rejects a frame over the size cap that is too small to stream at its size prefix', () => {
    const { reader } = streaming(1000, () => true, 40);
    expect(() => reader.push(big.subarray(0, 4))).toThrow(FrameTooLargeError);
  });
});

describe('FrameReader in pieces', () => {
  function collectPieces(maxFrameBytes = 1 << 20): { reader: FrameReader; frames: Array<Buffer | FramePieces> } {
    const frames: Array<Buffer | FramePieces> = [];
    const reader = new FrameReader(maxFrameBytes, (f) => frames.push(f));
    reader.takeFramesInPieces((f) => frames.push(f));
    return { reader, frames };
  }
  const bytesOf = (f: Buffer | FramePieces): Buffer => (f instanceof FramePieces ? Buffer.concat(f.pieces as Buffer[]) : f);
  function patterned(n: number): Buffer {
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = (i * 31 + 7) & 0xff;
    return frame(body);
  }

  it('hands out the same bytes at every split of a stream into two reads', () => {
    const frames = [patterned(700), frame('x'), patterned(40), patterned(900)];
    const bytes = Buffer.concat(frames);
    const wrong: string[] = [];
    let inPieces = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const { reader, frames: got } = collectPieces();
      reader.push(Buffer.from(bytes.subarray(0, cut)));
      reader.push(Buffer.from(bytes.subarray(cut)));
      if (got.length !== frames.length || reader.bufferedBytes !== 0) wrong.push(`cut ${cut}: ${got.length} frames`);
      got.forEach((f, i) => {
        if (!bytesOf(f).equals(frames[i])) wrong.push(`cut ${cut}: frame ${i} differs`);
        if (!(f instanceof FramePieces)) return;
        inPieces++;
        // The head holds the first 512 bytes (or the whole frame) contiguous.
        if (f.length !== frames[i].length || f.head.length < Math.min(512, f.length) || !f.join().equals(frames[i])) wrong.push(`cut ${cut}: frame ${i} head or length`);
      });
    }
    expect(wrong).toEqual([]);
    // Every cut inside a frame's bytes (past its first byte) leaves that frame in pieces.
    expect(inPieces).toBe(bytes.length - frames.length);
  });

  it('hands out the same bytes when a stream arrives in reads of every size from 1 to 64 bytes', () => {
    const frames = [patterned(1500), patterned(12), patterned(600)];
    const bytes = Buffer.concat(frames);
    for (let size = 1; size <= 64; size++) {
      const { reader, frames: got } = collectPieces();
      for (let at = 0; at < bytes.length; at += size) reader.push(Buffer.from(bytes.subarray(at, at + size)));
      expect(got.map(bytesOf)).toEqual(frames);
    }
  });

  it('keeps the pieces as views over the reads past the head, copying nothing there', () => {
    const bytes = patterned(5000);
    const a = Buffer.from(bytes.subarray(0, 2000));
    const b = Buffer.from(bytes.subarray(2000, 3000));
    const c = Buffer.from(bytes.subarray(3000));
    const { reader, frames } = collectPieces();
    reader.push(a);
    reader.push(b);
    reader.push(c);
    const f = frames[0] as FramePieces;
    expect(f).toBeInstanceOf(FramePieces);
    expect(f.pieces.map((p) => p.buffer)).toEqual([a.buffer, b.buffer, c.buffer]);
    expect(f.pieces.map((p) => p.length)).toEqual([2000, 1000, 2004]);
  });

  it('copies only the head when the first read holds less of the frame than the head', () => {
    const bytes = Buffer.concat([frame('abc'), patterned(3000)]);
    const a = Buffer.from(bytes.subarray(0, 107)); // 'abc' frame, then 100 bytes of the large one
    const b = Buffer.from(bytes.subarray(107));
    const { reader, frames } = collectPieces();
    reader.push(a);
    reader.push(b);
    expect(frames[0]).toEqual(frame('abc'));
    const f = frames[1] as FramePieces;
    expect(f.head.length).toBe(512);
    expect(f.pieces[1].buffer).toBe(b.buffer);
    expect(bytesOf(f)).toEqual(patterned(3000));
  });

  it('still rejects a frame over the size cap at its size prefix', () => {
    const { reader } = collectPieces(100);
    expect(() => reader.push(patterned(101).subarray(0, 10))).toThrow(FrameTooLargeError);
  });

  it('holds a frame in pieces while paused and hands it out in order on resume', () => {
    const bytes = Buffer.concat([frame('one'), patterned(900), frame('three')]);
    const { reader, frames } = collectPieces();
    reader.pause();
    reader.push(Buffer.from(bytes.subarray(0, 300)));
    reader.push(Buffer.from(bytes.subarray(300)));
    expect(frames).toHaveLength(0);
    reader.resume();
    expect(frames.map(bytesOf)).toEqual([frame('one'), patterned(900), frame('three')]);
  });
});
