// A request frame encoded with its record sets by reference: every byte Turnout writes
// (header, fields, lengths) is copied into the writer, but a record set large enough to matter
// becomes a piece of its own, a view of the buffer it was decoded from. A Produce split over
// several brokers is re-encoded per destination; copying each part's records into a fresh
// buffer costs a pass over the bytes and an allocation the size of the part, and on the
// produce path those allocations are what drive V8's major collections. The pieces go out
// in one corked write.
import type { DecodedRequestHeader } from './headers.js';
import { writeRequestHeader } from './headers.js';
import type { BodyEncoder } from './message-frames.js';
import { Writer } from './writer.js';

const SIZE_BYTES = 4;
/** A record set shorter than this is copied: a write of its own would cost more than the copy. */
export const RECORDS_BY_REFERENCE_MIN_BYTES = 1024;

/** A frame in pieces: views in frame order, size prefix first, and the frame's length in bytes. */
export interface EncodedPieces {
  readonly pieces: Buffer[];
  readonly length: number;
}

/** A Writer that leaves large record sets where they are, as pieces of their own. */
class PiecewiseWriter extends Writer {
  readonly pieces: Buffer[] = [];
  private readonly headBytes: number;

  constructor(headBytes: number) {
    super(256);
    this.headBytes = headBytes;
  }

  override writeRecords(v: Buffer | null): void {
    if (v === null || v.length < RECORDS_BY_REFERENCE_MIN_BYTES) return super.writeRecords(v);
    this.writeInt32(v.length);
    this.reference(v);
  }

  override writeCompactRecords(v: Buffer | null): void {
    if (v === null || v.length < RECORDS_BY_REFERENCE_MIN_BYTES) return super.writeCompactRecords(v);
    this.writeUVarint(v.length + 1);
    this.reference(v);
  }

  /** Ends the bytes written so far as a piece and adds `v` as the next; the first piece is filled to `headBytes` from `v`. */
  private reference(v: Buffer): void {
    let rest = v;
    if (this.pieces.length === 0 && this.length < this.headBytes) {
      const take = Math.min(rest.length, this.headBytes - this.length);
      this.writeRaw(rest.subarray(0, take));
      rest = rest.subarray(take);
    }
    this.pieces.push(this.finish());
    if (rest.length > 0) this.pieces.push(rest);
  }

  /** Every piece, the bytes written since the last record set included. */
  done(): Buffer[] {
    if (this.length > 0 || this.pieces.length === 0) this.pieces.push(this.finish());
    return this.pieces;
  }
}

/**
 * The request frame of `m`, size prefix included, as pieces: one when no record set was
 * large enough to leave by reference. The first piece holds at least `headBytes` bytes (or the
 * whole frame), so that the header can be read and rewritten there.
 */
export function encodeRequestFrameInPieces<T>(header: DecodedRequestHeader | { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null }, m: T, encode: BodyEncoder<T>, headBytes: number): EncodedPieces {
  const w = new PiecewiseWriter(headBytes);
  w.writeInt32(0);
  writeRequestHeader(w, header);
  encode(w, header.apiVersion, m);
  const pieces = w.done();
  let length = 0;
  for (const p of pieces) length += p.length;
  pieces[0].writeInt32BE(length - SIZE_BYTES, 0);
  return { pieces, length };
}
