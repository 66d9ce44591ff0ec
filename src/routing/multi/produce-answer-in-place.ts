// The answer to a Produce forwarded whole to one broker (produce-frame-reuse.ts), when it is
// plain: every partition answered NONE and no tagged field anywhere, so no CurrentLeader and
// no NodeEndpoints to put in the client's terms, no refused batch to hold the producer's
// later ones back, no broker to forget. All that differs from what the client must get is
// its topic ids (v13+, real ones in the answer) and its correlation id, both patched in place.
// Decoding, merging and encoding that answer built objects per topic and partition and a
// fresh frame for every request; anything else still goes that way (produce.ts).
import { writeResponseCorrelationId } from '../../net/correlation.js';
import { scanProduceResponse } from '../produce-response-scan.js';

const UUID_BYTES = 16;

/**
 * Makes `frame` (a broker's Produce answer, size prefix included) the client's, in place, when
 * it is plain; `virtualIdOfReal` gives a topic's virtual id for the real one the broker named.
 * False, with the frame untouched, when the answer must be decoded instead (not plain, an
 * error in it, a topic id with no virtual one).
 */
export function plainProduceAnswerInPlace(
  frame: Buffer,
  version: number,
  correlationId: number,
  virtualIdOfReal: (realId: string) => string | undefined,
): boolean {
  const scan = scanProduceResponse(frame, version);
  if (scan === null || scan.hasErrors) return false;
  const virtualIds: string[] = [];
  for (const at of scan.topicIdOffsets) {
    const virtual = virtualIdOfReal(frame.toString('base64url', at, at + UUID_BYTES));
    if (virtual === undefined) return false;
    virtualIds.push(virtual);
  }
  for (let i = 0; i < virtualIds.length; i++) frame.write(virtualIds[i] as string, scan.topicIdOffsets[i] as number, UUID_BYTES, 'base64url');
  writeResponseCorrelationId(frame, correlationId);
  return true;
}
