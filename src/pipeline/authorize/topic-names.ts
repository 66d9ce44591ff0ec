// Topic names by topic id, for the requests that name topics by id (Fetch v13+, Produce v13,
// DeleteTopics v6, ShareFetch): ACLs are written on names. The ACL filter learns the ids from
// the Metadata and DescribeTopicPartitions answers it passes to clients, which are the ids
// those clients use (virtual ones over several backends), so it needs no wiring into either
// router. An id it has not seen gets UNKNOWN_TOPIC_ID, as a broker answers an id it does not
// know: the client refreshes its metadata, which teaches the id, and retries.
import { ZERO_UUID } from '../../codec/index.js';

export interface TopicNameLookup {
  nameOf(topicId: string): string | undefined;
}

/** The ids remembered at most; the oldest is forgotten first (a topic that still exists is learned again). */
const DEFAULT_MAX_TOPICS = 1_000_000;

export class LearnedTopicNames implements TopicNameLookup {
  private readonly names = new Map<string, string>();
  private readonly maxTopics: number;

  constructor(maxTopics = DEFAULT_MAX_TOPICS) {
    this.maxTopics = maxTopics;
  }

  nameOf(topicId: string): string | undefined {
    return this.names.get(topicId);
  }

  /** Remembers that `topicId` names `name`. The zero id and empty names carry nothing. */
  learn(topicId: string, name: string | null): void {
    if (topicId === ZERO_UUID || name === null || name === '') return;
    if (this.names.get(topicId) === name) return;
    this.names.delete(topicId);
    this.names.set(topicId, name);
    if (this.names.size > this.maxTopics) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
  }
}
