// A complete frame whose bytes arrived over several socket reads, kept as views over those
// reads instead of being copied into one buffer. A proxy that forwards the frame untouched
// writes the pieces as they are; whoever must decode it joins them, once.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';

/**
 * The first piece holds at least this many bytes of the frame (all of a shorter one): the
 * request header's fixed part, and for a Produce the fields up to acks in all but an unusual
 * request (a client id or transactional id of hundreds of bytes).
 */
export const FRAME_PIECES_HEAD_BYTES = 512;

export class FramePieces {
  /** Views in frame order, size prefix first; the first holds `FRAME_PIECES_HEAD_BYTES` or the whole frame. */
  readonly pieces: readonly Buffer[];
  /** The frame's size in bytes, size prefix included (named as a Buffer's, so either can be measured alike). */
  readonly length: number;

  constructor(pieces: readonly Buffer[], length: number) {
    this.pieces = pieces;
    this.length = length;
  }

  /** The frame's first bytes, contiguous: at least the request header's fixed part. */
  get head(): Buffer {
    return this.pieces[0];
  }

  /** The frame as one buffer: a copy of every piece. */
  join(): Buffer {
    return Buffer.concat(this.pieces as Buffer[], this.length);
  }
}
