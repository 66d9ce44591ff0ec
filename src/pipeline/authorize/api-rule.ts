// A row of the ACL table: what a broker checks for one api (operation, resource, the error a
// denial carries, in words), and the rule that decides a decoded request of that api.
import type { FilterOutcome } from '../filter.js';
import type { ApiCall, ApiKeyNumber, RequestOf } from './api-call.js';

export interface ApiRule<K extends ApiKeyNumber> {
  readonly apiKey: K;
  /** Operation, resource and error, as Kafka's "Operations and Resources on Protocols" and KafkaApis have them. */
  readonly checks: string;
  decide(request: RequestOf<K>, call: ApiCall<K>): FilterOutcome;
}

/** Lets `rule` be typed by its api key where it is written and stored beside others in the table. */
export function apiRule<K extends ApiKeyNumber>(rule: ApiRule<K>): ApiRule<K> {
  return rule;
}
