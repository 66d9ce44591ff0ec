// Produce with acks=0 gets no response, from the broker or from Turnout: the connection must
// know before it queues the request, so that the responses behind it keep their order. Only
// the acks field is read, without decoding the request, and from the frame's head: a Produce
// that arrived over several reads is not joined for it.
import { ApiKey, DecodeError } from '../codec/index.js';
import { readProduceAcks } from '../routing/produce-acks.js';
import { FORWARD, FORWARD_WITHOUT_RESPONSE, type FilterOutcome, type FilterRequest, type RequestFilter } from './filter.js';

export class ProduceAcksFilter implements RequestFilter {
  readonly name = 'produce-acks';
  readonly fixedInterest = true;

  wants(apiKey: number): boolean {
    return apiKey === ApiKey.Produce;
  }

  onRequest(request: FilterRequest): FilterOutcome {
    return readAcks(request) === 0 ? FORWARD_WITHOUT_RESPONSE : FORWARD;
  }
}

function readAcks(request: FilterRequest): number {
  const head = request.head;
  try {
    return readProduceAcks(head, request.apiVersion);
  } catch (err) {
    // Ids long enough to push acks past the head: read the whole frame (a short frame still throws).
    if (err instanceof DecodeError && head.length >= 4 && head.length < head.readInt32BE(0) + 4) return readProduceAcks(request.frame, request.apiVersion);
    throw err;
  }
}
