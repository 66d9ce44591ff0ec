// DeleteRecords of a chained partition (offset-segments.ts): deleting below virtual offset v
// deletes below it in every segment. Segments wholly below v are deleted to their end, the
// segment holding v to v − shift; v = -1 (the high watermark) deletes every older segment to
// its end and the last one to its own high watermark. The segment holding v is asked first,
// the others once it accepted. A backend holding several of the
// segments gets one request, to the highest of their offsets (its segments' real offsets rise
// along its log). The low watermark answered is the one of the segment holding the new start,
// translated; the first error of any backend is the partition's answer. An offset below the
// partition's start (its first segment retired) deletes below the start, which moves nothing a
// client sees: the low watermark answered is the start, as a broker answers an offset below its
// log start, and the retired segment's backend is never asked.
import { decodeDeleteRecordsResponse, encodeDeleteRecordsRequest, type RequestHeader } from '../../codec/index.js';
import {
  createDeleteRecordsPartitionResult,
  type DeleteRecordsPartition,
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../codec/generated/delete-records.js';
import type { ClientSession } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import type { PartitionChain } from '../offset-segments.js';
import { askPartitionLeader, emptySegment } from './chained-partitions.js';
import type { MultiContext } from './multi-context.js';

/** DeleteRecords' offset that means the high watermark. */
const HIGH_WATERMARK = -1n;

export interface DeleteRecordsAsker {
  header: RequestHeader;
  request: DeleteRecordsRequest;
}

function errorResult(partitionIndex: number, errorCode: number): DeleteRecordsPartitionResult {
  return { ...createDeleteRecordsPartitionResult(), partitionIndex, errorCode, lowWatermark: -1n };
}

/** Backend → the real offset to delete below there (-1: its high watermark, above any offset). */
function realTargets(chain: PartitionChain, offset: bigint): { targets: Map<string, bigint>; holding: number } {
  const holding = offset < 0n ? chain.lastIndex : chain.indexAt(offset);
  const targets = new Map<string, bigint>();
  // Any other negative offset is the last segment's backend's to refuse (OFFSET_OUT_OF_RANGE), nothing deleted.
  if (offset < 0n && offset !== HIGH_WATERMARK) return { targets: targets.set(chain.last.backend, offset), holding };
  const raise = (backend: string, real: bigint): void => {
    const known = targets.get(backend);
    if (known === undefined || (known !== HIGH_WATERMARK && (real === HIGH_WATERMARK || real > known))) targets.set(backend, real);
  };
  for (let k = 0; k < holding; k++) {
    if (emptySegment(chain, k)) continue;
    const s = chain.segments[k];
    raise(s.backend, (chain.endOf(k) as bigint) - s.shift);
  }
  const h = chain.segments[holding];
  raise(h.backend, offset < 0n ? offset : offset - h.shift);
  return { targets, holding };
}

/** A chained partition's DeleteRecords answer, in virtual terms. */
export async function deleteRecordsOnChain(
  ctx: MultiContext,
  session: ClientSession,
  asker: DeleteRecordsAsker,
  topic: string,
  chain: PartitionChain,
  p: DeleteRecordsPartition,
): Promise<DeleteRecordsPartitionResult> {
  const { targets, holding } = realTargets(chain, chain.isBelowStart(p.offset) ? chain.start : p.offset);
  const ask = (backend: string, real: bigint): Promise<DeleteRecordsPartitionResult | number> =>
    askPartitionLeader(
      ctx,
      session,
      backend,
      topic,
      p.partitionIndex,
      {
        header: asker.header,
        request: { ...asker.request, topics: [{ name: topic, partitions: [{ ...p, offset: real }] }] },
        encode: encodeDeleteRecordsRequest,
        decode: decodeDeleteRecordsResponse,
        answerOf: (r: DeleteRecordsResponse) => r.topics.find((t) => t.name === topic)?.partitions.find((e) => e.partitionIndex === p.partitionIndex),
      },
      NOT_LEADER_OR_FOLLOWER,
    );
  // The segment holding the new start first: an offset its backend refuses (past the high
  // watermark) then deletes nothing anywhere, as on a broker.
  const holdingBackend = chain.segments[holding].backend;
  const result = await ask(holdingBackend, targets.get(holdingBackend) as bigint);
  if (typeof result === 'number') return errorResult(p.partitionIndex, result);
  if (result.errorCode !== 0) return errorResult(p.partitionIndex, result.errorCode);
  targets.delete(holdingBackend);
  for (const res of await Promise.all([...targets].map(([backend, real]) => ask(backend, real)))) {
    const errorCode = typeof res === 'number' ? res : res.errorCode;
    if (errorCode !== 0) return errorResult(p.partitionIndex, errorCode);
  }
  const h = chain.segments[holding];
  if (result.lowWatermark >= 0n) {
    const low = result.lowWatermark + h.shift;
    result.lowWatermark = low < h.firstOffset ? h.firstOffset : low;
  }
  return result;
}
