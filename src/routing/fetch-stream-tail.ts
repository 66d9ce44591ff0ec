// The top-level tagged fields at the tail of a streamed Fetch response (v16+), rewritten
// without changing their length: the frame's size prefix has gone to the client already.
//
// NodeEndpoints (tag 0) names backend brokers by host and port; rewritten to Turnout's nodes
// its length changes. Brokers send it only with NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH
// partitions, so it is rare in a frame large enough to stream. When the rewritten field is
// shorter, unknown tagged fields of padding make up the difference: clients skip tags they do
// not know. When it cannot be made to fit, NodeEndpoints is replaced by padding altogether;
// clients then learn the new leader's address from Metadata, as before KIP-951.
import { Reader, Writer, decodeFetchResponse, encodeFetchResponse, type FetchResponse, type TaggedField } from '../codec/index.js';
import { StreamFieldError } from './fetch-stream-engine.js';

/** What the tail rewrite reports, for counting and logging. */
export interface FetchTailEvents {
  /** NodeEndpoints was rewritten and kept the tail's length (padded where shorter). */
  onEndpointsRewritten(): void;
  /** NodeEndpoints could not keep the tail's length once rewritten and was replaced by padding. */
  onEndpointsDropped(tailBytes: number, rewrittenTailBytes: number): void;
}

/** The first Fetch version with NodeEndpoints. */
export const FIRST_NODE_ENDPOINTS_VERSION = 16;

/**
 * Padding tags start here: two-byte varints far above the tags Kafka has given FetchResponse
 * (it numbers them from 0), so no client reads them as a field it knows.
 */
const PADDING_TAG_BASE = 10_000;

// A body with no topics in front of the tail lets the generated codec read and write the
// tail alone: throttleTimeMs, errorCode, sessionId, and an empty compact array.
const EMPTY_BODY = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/**
 * Rewrites the tagged-field section `tail` in place, keeping its length: `rewrite` puts
 * NodeEndpoints in the client's terms. Throws `StreamFieldError`.
 */
export function rewriteFetchTail(tail: Buffer, version: number, rewrite: (m: FetchResponse) => void, events: FetchTailEvents): void {
  const m = decodeTail(tail, version);
  if (m.nodeEndpoints === undefined) return;
  rewrite(m);
  const rewritten = encodeToLength(m, version, tail.length);
  if (rewritten !== null) {
    rewritten.copy(tail);
    events.onEndpointsRewritten();
    return;
  }
  const rewrittenBytes = encodeTail(m, version).length;
  m.nodeEndpoints = undefined;
  const without = encodeToLength(m, version, tail.length);
  if (without === null) throw new StreamFieldError(`tagged fields of ${tail.length} bytes cannot keep their length`);
  without.copy(tail);
  events.onEndpointsDropped(tail.length, rewrittenBytes);
}

function decodeTail(tail: Buffer, version: number): FetchResponse {
  const body = Buffer.concat([EMPTY_BODY, tail]);
  const r = new Reader(body);
  const m = decodeFetchResponse(r, version);
  if (r.offset !== body.length) throw new StreamFieldError(`${body.length - r.offset} bytes after the tagged fields`);
  return m;
}

function encodeTail(m: FetchResponse, version: number): Buffer {
  const w = new Writer(256);
  encodeFetchResponse(w, version, m);
  return w.finish().subarray(EMPTY_BODY.length);
}

/** The tail encoded to exactly `length` bytes, padded if shorter; null if it cannot be. */
function encodeToLength(m: FetchResponse, version: number, length: number): Buffer | null {
  const plain = encodeTail(m, version);
  if (plain.length === length) return plain;
  const known = m.unknownTaggedFields ?? [];
  const firstTag = Math.max(PADDING_TAG_BASE, ...known.map((f) => f.tag + 1));
  const padding = paddingFields(length - plain.length, firstTag);
  if (padding === null) return null;
  const padded = encodeTail({ ...m, unknownTaggedFields: [...known, ...padding] }, version);
  // More fields can lengthen the field count's varint: then it does not fit after all.
  return padded.length === length ? padded : null;
}

function uvarintBytes(v: number): number {
  let n = 1;
  for (let x = v >>> 0; x >= 0x80; x >>>= 7) n++;
  return n;
}

/**
 * Unknown tagged fields whose encodings (tag, size, data) add up to exactly `bytes`, with
 * ascending tags from `firstTag`; null when no such fields exist (fewer bytes than the
 * smallest field).
 */
export function paddingFields(bytes: number, firstTag: number): TaggedField[] | null {
  const fields: TaggedField[] = [];
  let left = bytes;
  let tag = firstTag;
  while (left > 0) {
    const tagBytes = uvarintBytes(tag);
    const smallest = tagBytes + 1;
    if (left < smallest) return null;
    let size = -1;
    for (let sizeBytes = 1; sizeBytes <= 5 && size < 0; sizeBytes++) {
      const candidate = left - tagBytes - sizeBytes;
      if (candidate >= 0 && uvarintBytes(candidate) === sizeBytes) size = candidate;
    }
    // Some totals fall between two size varint lengths: take an empty field and try again.
    if (size < 0) size = 0;
    fields.push({ tag, data: Buffer.alloc(size) });
    left -= tagBytes + uvarintBytes(size) + size;
    tag++;
  }
  return fields;
}
