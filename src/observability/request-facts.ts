// What a traced request's span says about the request itself beyond its fixed header fields:
// the client id, and for Produce and Fetch the topics and partitions it names and the domains
// those topics belong to. Read from the client's frame as it arrived, for sampled requests only
// (an unsampled one never reaches this). A frame that does not decode gets no such attributes:
// the pipeline decides what happens to it, not tracing.
import type { Attributes } from '@opentelemetry/api';
import { ApiKey, decodeRequestBody, decodeRequestHeader, type DecodedRequestHeader } from '../codec/index.js';
import { SPAN_ATTR } from './span-attributes.js';

/** Where the policy is asked which domain a topic is in. */
export interface DomainLookup {
  /** The domain a topic belongs to, or null when none claims it. */
  domainOf(topic: string): string | null;
  /** The topic a client's topic id names (Produce v13, Fetch v13+), when known. */
  topicNameOf?(topicId: string): string | undefined;
}

const SIZE_PREFIX_BYTES = 4;

interface NamedTopics {
  /** The topics' names, those of unknown ids left out. */
  names: string[];
  topics: number;
  partitions: number;
}

/** Adds the client id, and the topics, partitions and domains of a Produce or Fetch, to `attrs`. */
export function addRequestFacts(attrs: Attributes, frame: Buffer, apiKey: number, apiVersion: number, domains: DomainLookup | null): void {
  let header: DecodedRequestHeader;
  try {
    header = decodeRequestHeader(frame.subarray(SIZE_PREFIX_BYTES));
  } catch {
    return;
  }
  if (header.clientId !== null) attrs[SPAN_ATTR.clientId] = header.clientId;
  if (apiKey !== ApiKey.Produce && apiKey !== ApiKey.Fetch) return;
  let topics: NamedTopics;
  try {
    topics = topicsOf(frame.subarray(SIZE_PREFIX_BYTES + header.headerSizeBytes), apiKey, apiVersion, domains);
  } catch {
    return;
  }
  attrs[SPAN_ATTR.topicCount] = topics.topics;
  attrs[SPAN_ATTR.partitionCount] = topics.partitions;
  if (domains === null) return;
  const found: string[] = [];
  for (const name of topics.names) {
    const domain = domains.domainOf(name);
    if (domain !== null && !found.includes(domain)) found.push(domain);
  }
  if (found.length > 0) attrs[SPAN_ATTR.domain] = found.join(',');
}

function topicsOf(body: Buffer, apiKey: number, apiVersion: number, domains: DomainLookup | null): NamedTopics {
  const names: string[] = [];
  let topics = 0;
  let partitions = 0;
  const add = (name: string, topicId: string, count: number): void => {
    topics += 1;
    partitions += count;
    const known = name !== '' ? name : domains?.topicNameOf?.(topicId);
    if (known !== undefined) names.push(known);
  };
  if (apiKey === ApiKey.Produce) {
    for (const t of decodeRequestBody(ApiKey.Produce, apiVersion, body).topicData) add(t.name, t.topicId, t.partitionData.length);
  } else {
    for (const t of decodeRequestBody(ApiKey.Fetch, apiVersion, body).topics) add(t.topic, t.topicId, t.partitions.length);
  }
  return { names, topics, partitions };
}
