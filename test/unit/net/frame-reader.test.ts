import { describe, expect, it } from 'vitest';
import {
  FrameReader,
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
