// A Produce whose partitions all go to one broker, none of them answered by Turnout, is
// forwarded as the client's own frame. Its batches are rewritten in place already (producer
// ids and epochs, with each batch's CRC), the correlation id is the upstream's to write, and
// nothing else in the request differs from what the broker must get but the topic ids
// (v13+), which are patched in place here. Re-encoding such a request would copy every record
// byte into a fresh buffer per request, and on the produce path those buffers, not JavaScript
// objects, are what drives V8's major collections.
import type { ProduceRequest } from '../codec/generated/produce.js';
import { PRODUCE_FIRST_TOPIC_ID_VERSION } from './topic-id-rewrite.js';

const UUID_BYTES = 16;
const PARTITION_INDEX_BYTES = 4;

/** Bytes of an unsigned varint. */
function uvarintSize(v: number): number {
  let n = 1;
  for (let x = v >>> 0; x >= 0x80; x >>>= 7) n++;
  return n;
}

/**
 * `frame` (the client's Produce, whose decoded body `sent` is the one part sent on, holding
 * every topic and partition of the client's request in its order) made ready to forward: the
 * topic ids written as `realIdOf` gives them, in place. Null when the frame cannot be reused
 * (a topic id with no real one, a layout it cannot place): the caller encodes the part instead.
 * Topic ids already written stay written then; the caller's encoding does not read the frame.
 */
export function reuseProduceFrame(frame: Buffer, sent: ProduceRequest, version: number, realIdOf: (virtualId: string) => string | undefined): Buffer | null {
  if (version < PRODUCE_FIRST_TOPIC_ID_VERSION) return frame;
  for (const t of sent.topicData) {
    const real = realIdOf(t.topicId);
    if (real === undefined) return null;
    const at = topicIdOffset(frame, t.partitionData.length, t.partitionData[0]?.records ?? null);
    if (at < 0) return null;
    // The bytes found must be the client's id: anything else means the layout is not the one assumed.
    if (!frame.subarray(at, at + UUID_BYTES).equals(Buffer.from(t.topicId, 'base64url'))) return null;
    Buffer.from(real, 'base64url').copy(frame, at);
  }
  return frame;
}

/**
 * Where a topic's id sits in a flexible (v13+) Produce frame, found back from its first
 * partition's records, which are a view into the frame: id, partition count, the partition's
 * index, the records' length, the records. -1 when the records are not a view into `frame`.
 */
function topicIdOffset(frame: Buffer, partitionCount: number, firstRecords: Buffer | null): number {
  if (firstRecords === null || firstRecords.buffer !== frame.buffer) return -1;
  const recordsAt = firstRecords.byteOffset - frame.byteOffset;
  if (recordsAt < 0 || recordsAt + firstRecords.length > frame.length) return -1;
  const at = recordsAt - uvarintSize(firstRecords.length + 1) - PARTITION_INDEX_BYTES - uvarintSize(partitionCount + 1) - UUID_BYTES;
  return at < 0 ? -1 : at;
}
