// A Produce request whose partitions go to several destinations (backends, or brokers of one
// backend) becomes one request per destination: same acks, timeout and transactional id, the
// client's topics in the client's order with only that destination's partitions. Partition
// entries (and their record batches) are shared with the client's request, not copied: rewrite
// batches (producer ids) per part after the split if needed. Works for every version: up to
// v12 topics are named, v13 identifies them by topic id; entries keep both fields as decoded.
//
// acks=0 has no response: send every part and answer nothing (`expectsResponse` is false).
import type { PartitionProduceData, ProduceRequest, TopicProduceData } from '../codec/generated/produce.js';
import { splitByDestination, type PartitionRoute, type SplitPlacement, type TopicPartitionShape } from './split-route.js';

export interface ProducePart {
  destination: string;
  request: ProduceRequest;
}

export interface ProduceSplit {
  readonly version: number;
  /** The client's request: the merged response answers its topics and partitions, in its order. */
  readonly request: ProduceRequest;
  /** One request per destination, in order of first appearance in the client's request. */
  readonly parts: ProducePart[];
  readonly placement: SplitPlacement;
  /** Partitions answered with a route error instead of being sent. */
  readonly localCount: number;
  /** False for acks=0: nothing is sent back to the client. */
  readonly expectsResponse: boolean;
}

/** Where a partition goes, or the error it is answered with. */
export type ProduceRouter = (topic: TopicProduceData, partition: PartitionProduceData) => PartitionRoute;

export function splitProduceRequest(req: ProduceRequest, version: number, route: ProduceRouter): ProduceSplit {
  const { parts, placement, localCount } = splitByDestination(req, producePartShape(req), route);
  return { version, request: req, parts, placement, localCount, expectsResponse: req.acks !== 0 };
}

function producePartShape(req: ProduceRequest): TopicPartitionShape<ProduceRequest, TopicProduceData, PartitionProduceData> {
  return {
    topicsOf: (r) => r.topicData,
    partitionsOf: (t) => t.partitionData,
    emptyRequest: () => partRequest(req),
    emptyTopic: partTopic,
  };
}

function partRequest(req: ProduceRequest): ProduceRequest {
  const part: ProduceRequest = { transactionalId: req.transactionalId, acks: req.acks, timeoutMs: req.timeoutMs, topicData: [] };
  if (req.unknownTaggedFields !== undefined) part.unknownTaggedFields = req.unknownTaggedFields;
  return part;
}

function partTopic(t: TopicProduceData): TopicProduceData {
  const topic: TopicProduceData = { name: t.name, topicId: t.topicId, partitionData: [] };
  if (t.unknownTaggedFields !== undefined) topic.unknownTaggedFields = t.unknownTaggedFields;
  return topic;
}
