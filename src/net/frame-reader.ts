// Splits a Kafka byte stream into frames: an int32 size and that many bytes of body.
//
// Frames are handed out as views over the socket's chunks (`subarray`, no copy). Only a frame
// that spans two or more chunks is joined into a new buffer, once, when it is complete. The
// size is checked as soon as its four bytes are in, so a hostile prefix never makes us buffer
// more than one frame's worth of a legal size.
//
// A large frame can instead be streamed: once its head is in, the owner may take it as a
// sequence of views handed out as the chunks arrive, so a proxy can pass it on without
// waiting for (or copying) the whole frame. A frame over the size cap is never held whole,
// but one that its owner streams may pass (a broker's Fetch answer holding a batch larger than
// the cap): the cap bounds memory, and a streamed frame takes none.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
import { FRAME_PIECES_HEAD_BYTES, FramePieces } from './frame-pieces.js';

const SIZE_BYTES = 4;

/** Base class of everything the frame reader rejects; the connection closes with `reason`. */
export class FrameError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'FrameError';
    this.reason = reason;
  }
}

export class FrameTooLargeError extends FrameError {
  readonly sizeBytes: number;
  readonly maxBytes: number;
  constructor(sizeBytes: number, maxBytes: number) {
    super('frame_too_large', `frame of ${sizeBytes} bytes exceeds the limit of ${maxBytes}`);
    this.name = 'FrameTooLargeError';
    this.sizeBytes = sizeBytes;
    this.maxBytes = maxBytes;
  }
}

export class NegativeFrameSizeError extends FrameError {
  readonly sizeBytes: number;
  constructor(sizeBytes: number) {
    super('negative_frame_size', `frame size ${sizeBytes} is negative`);
    this.name = 'NegativeFrameSizeError';
    this.sizeBytes = sizeBytes;
  }
}

export class TruncatedFrameError extends FrameError {
  readonly bufferedBytes: number;
  readonly expectedBytes: number;
  constructor(bufferedBytes: number, expectedBytes: number) {
    super('truncated_frame', `stream ended inside a frame: ${bufferedBytes} of ${expectedBytes} bytes`);
    this.name = 'TruncatedFrameError';
    this.bufferedBytes = bufferedBytes;
    this.expectedBytes = expectedBytes;
  }
}

export type FrameListener = (frame: Buffer) => void;

/** Takes a complete frame that spans chunks, as views over them. */
export type FramePiecesListener = (frame: FramePieces) => void;

/** Takes the bytes of one streamed frame, in order. */
export interface FrameSink {
  /** The next bytes of the frame; the first call starts at the size prefix. A throw propagates to `push`. */
  push(bytes: Buffer): void;
  /** The frame's last byte has been pushed. */
  end(): void;
}

export interface FrameStreaming {
  /** Frames of at least this many bytes (size prefix included) may be streamed. */
  minFrameBytes: number;
  /** Bytes of the frame (size prefix included) `onFrameStart` needs to decide. */
  headBytes: number;
  /**
   * Called once per frame of at least `minFrameBytes` that is not yet complete, and once per
   * frame over the size cap, complete or not, when its head is in. Return a sink to stream it
   * (its first push is at least `head`, contiguous), or null to receive it whole through the
   * frame listener as usual; a frame over the cap that is declined is a FrameTooLargeError.
   */
  onFrameStart(frameBytes: number, head: Buffer): FrameSink | null;
}

export class FrameReader {
  private maxFrameBytes: number;
  private readonly onFrame: FrameListener;
  private chunks: Buffer[] = [];
  /** Offset of the first unconsumed byte in chunks[0]. */
  private headOffset = 0;
  private buffered = 0;
  /** Size of the frame being assembled (body only), or -1 while its prefix is not yet read. */
  private pendingSize = -1;
  private paused = false;
  private draining = false;
  private readonly streaming: FrameStreaming | null;
  /** The sink of the frame being streamed, and how many of its bytes it has still to get. */
  private sink: FrameSink | null = null;
  private sinkRemaining = 0;
  /** The pending frame was offered for streaming and declined: hand it out whole. */
  private declined = false;
  private onPieces: FramePiecesListener | null = null;

  /**
   * `onFrame` receives each complete frame, size prefix included (`frame.subarray(4)` is the
   * body). Frames may be views over the caller's chunks; they stay valid as long as the
   * caller does not reuse those chunks. With `streaming`, large frames may go to a sink instead.
   */
  constructor(maxFrameBytes: number, onFrame: FrameListener, streaming?: FrameStreaming) {
    this.maxFrameBytes = maxFrameBytes;
    this.onFrame = onFrame;
    this.streaming = streaming ?? null;
  }

  /** Caps the frames read from now on (a frame already being read keeps the cap it started with). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * From now on a complete frame that spans chunks goes to `onPieces` as views over them,
   * not joined to `onFrame` (a frame within one chunk still goes to `onFrame`).
   */
  takeFramesInPieces(onPieces: FramePiecesListener): void {
    this.onPieces = onPieces;
  }

  /** Bytes received but not yet handed out as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Adds bytes and hands out every complete frame (unless paused). Throws a `FrameError`. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain();
  }

  /** Stops handing out frames; bytes keep being buffered until `resume`. */
  pause(): void {
    this.paused = true;
  }

  /** Hands out the frames buffered while paused. Throws a `FrameError`. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  /**
   * Bytes of the frame in progress that have not arrived yet: 0 between frames, while a
   * frame's size is not in, and once its last byte is.
   */
  get bytesToFrameEnd(): number {
    if (this.sink !== null) return Math.max(0, this.sinkRemaining - this.buffered);
    if (this.pendingSize < 0) return 0;
    return Math.max(0, this.pendingSize + SIZE_BYTES - this.buffered);
  }

  /** True while a frame is being streamed to a sink. */
  get isStreaming(): boolean {
    return this.sink !== null;
  }

  /** Call at end of stream: throws `TruncatedFrameError` if a partial frame is left. */
  end(): void {
    if (this.sink !== null) throw new TruncatedFrameError(this.buffered, this.sinkRemaining);
    if (this.buffered === 0) return;
    const expected = this.pendingSize >= 0 ? this.pendingSize + SIZE_BYTES : SIZE_BYTES;
    throw new TruncatedFrameError(this.buffered, expected);
  }

  private drain(): void {
    // onFrame may pause or resume us; a nested drain would hand frames out of order.
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.paused) {
        if (this.sink !== null) {
          if (this.buffered === 0) return;
          this.feedSink();
          continue;
        }
        if (this.pendingSize < 0) {
          if (this.buffered < SIZE_BYTES) return;
          const size = this.peekInt32();
          if (size < 0) throw new NegativeFrameSizeError(size);
          if (size > this.maxFrameBytes && this.streaming === null) throw new FrameTooLargeError(size, this.maxFrameBytes);
          this.pendingSize = size;
          this.declined = false;
        }
        const total = this.pendingSize + SIZE_BYTES;
        if (this.pendingSize > this.maxFrameBytes) {
          // Over the cap: a sink may take it piece by piece, but it is never held whole.
          if (this.offerStream(total)) continue;
          if (this.declined || total < (this.streaming as FrameStreaming).minFrameBytes) throw new FrameTooLargeError(this.pendingSize, this.maxFrameBytes);
          return;
        }
        if (this.buffered < total) {
          if (!this.offerStream(total)) return;
          continue;
        }
        if (this.onPieces !== null && this.chunks[0].length - this.headOffset < total) {
          const pieces = this.takePieces(total);
          this.pendingSize = -1;
          this.onPieces(pieces);
          continue;
        }
        const frame = this.take(total);
        this.pendingSize = -1;
        this.onFrame(frame);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Offers a frame (incomplete, or over the cap) for streaming once its head is in. Returns true
   * when it went to a sink (its head already pushed), false when it was declined or its head is
   * not in yet.
   */
  private offerStream(total: number): boolean {
    const streaming = this.streaming;
    if (streaming === null || this.declined || total < streaming.minFrameBytes) return false;
    const headBytes = Math.min(streaming.headBytes, total);
    if (this.buffered < headBytes) return false;
    const sink = streaming.onFrameStart(total, this.peek(headBytes));
    if (sink === null) {
      this.declined = true;
      return false;
    }
    this.pendingSize = -1;
    this.sink = sink;
    this.sinkRemaining = total - headBytes;
    sink.push(this.take(headBytes));
    if (this.sinkRemaining === 0) this.endSink();
    return true;
  }

  /** Hands the streamed frame every buffered byte of it, one view per chunk. */
  private feedSink(): void {
    const sink = this.sink as FrameSink;
    // A push may pause us: the rest waits for `resume`.
    while (this.sinkRemaining > 0 && this.buffered > 0 && !this.paused) {
      const n = Math.min(this.chunks[0].length - this.headOffset, this.sinkRemaining);
      const piece = this.take(n);
      this.sinkRemaining -= n;
      sink.push(piece);
    }
    if (this.sinkRemaining === 0) this.endSink();
  }

  private endSink(): void {
    const sink = this.sink as FrameSink;
    this.sink = null;
    sink.end();
  }

  private peekInt32(): number {
    const first = this.chunks[0];
    if (first.length - this.headOffset >= SIZE_BYTES) return first.readInt32BE(this.headOffset);
    // The prefix itself spans chunks.
    let value = 0;
    let need = SIZE_BYTES;
    for (let c = 0, off = this.headOffset; need > 0; c++, off = 0) {
      const chunk = this.chunks[c];
      for (let i = off; i < chunk.length && need > 0; i++, need--) value = (value << 8) | chunk[i];
    }
    return value | 0;
  }

  /** The first `n` buffered bytes, left in place: a view when they lie in one chunk, else a copy. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.headOffset >= n) return first.subarray(this.headOffset, this.headOffset + n);
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    for (let c = 0, off = this.headOffset; written < n; c++, off = 0) {
      const chunk = this.chunks[c];
      written += chunk.copy(out, written, off, Math.min(chunk.length, off + n - written));
    }
    return out;
  }

  /**
   * Removes `n` bytes that span chunks as views over them. The first piece is the rest of the
   * first chunk, or a copy of the frame's first `FRAME_PIECES_HEAD_BYTES` when that is shorter,
   * so that a header can be read from it as one buffer.
   */
  private takePieces(n: number): FramePieces {
    const available = this.chunks[0].length - this.headOffset;
    const headBytes = Math.min(n, FRAME_PIECES_HEAD_BYTES);
    const first = this.take(available >= headBytes ? available : headBytes);
    const pieces = [first];
    let remaining = n - first.length;
    while (remaining > 0) {
      const piece = this.take(Math.min(this.chunks[0].length - this.headOffset, remaining));
      remaining -= piece.length;
      pieces.push(piece);
    }
    return new FramePieces(pieces, n);
  }

  /** Removes `n` bytes from the front; a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    const available = first.length - this.headOffset;
    let out: Buffer;
    if (available >= n) {
      out = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
      if (this.headOffset === first.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      while (written < n) {
        const chunk = this.chunks[0];
        const want = n - written;
        const have = chunk.length - this.headOffset;
        if (have <= want) {
          chunk.copy(out, written, this.headOffset);
          written += have;
          this.chunks.shift();
          this.headOffset = 0;
        } else {
          chunk.copy(out, written, this.headOffset, this.headOffset + want);
          written += want;
          this.headOffset += want;
        }
      }
    }
    this.buffered -= n;
    return out;
  }
}
