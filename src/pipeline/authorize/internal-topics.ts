// Kafka's internal topics (Topic.isInternal): a Metadata answer marks them, and a client's
// AddPartitionsToTxn may never add them.
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}
