// Produce with acks=0 gets no response, from the broker or from Turnout: the connection must
// know before it queues the request, so that the responses behind it keep their order. Only
// the acks field is read, without decoding the request.
import { ApiKey } from '../codec/index.js';
import { readProduceAcks } from '../routing/produce-acks.js';
import { FORWARD, FORWARD_WITHOUT_RESPONSE, type FilterOutcome, type FilterRequest, type RequestFilter } from './filter.js';

export class ProduceAcksFilter implements RequestFilter {
  readonly name = 'produce-acks';

  wants(apiKey: number): boolean {
    return apiKey === ApiKey.Produce;
  }

  onRequest(request: FilterRequest): FilterOutcome {
    return readProduceAcks(request.frame, request.apiVersion) === 0 ? FORWARD_WITHOUT_RESPONSE : FORWARD;
  }
}
