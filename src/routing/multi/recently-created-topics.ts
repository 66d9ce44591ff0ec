// Topics a client created through Turnout a moment ago. A backend's controller answers
// CreateTopics once the topic is committed, but the broker Turnout then asks for its metadata
// may not have learnt it yet and answers UNKNOWN_TOPIC_OR_PARTITION, which clients that wait
// for a new topic's leaders (kafkajs's createTopics) take as final. For such a topic Turnout
// answers LEADER_NOT_AVAILABLE instead, as a broker does for a topic being created: the client
// asks again and finds it. Bounded: entries expire after a few seconds, and at most
// MAX_ENTRIES are kept (the oldest go first).

/** How long a created topic may be missing from a backend's metadata before it counts as unknown. */
export const CREATED_TOPIC_GRACE_MS = 10_000;
const MAX_ENTRIES = 10_000;

export class RecentlyCreatedTopics {
  /** Topic → when it was created, oldest first (a Map keeps insertion order). */
  private readonly createdAtMs = new Map<string, number>();
  private readonly nowMs: () => number;

  constructor(nowMs: () => number = Date.now) {
    this.nowMs = nowMs;
  }

  /** A topic a backend just created on a client's request. */
  created(name: string): void {
    const now = this.nowMs();
    this.createdAtMs.delete(name);
    this.createdAtMs.set(name, now);
    this.expire(now);
    while (this.createdAtMs.size > MAX_ENTRIES) this.createdAtMs.delete(this.createdAtMs.keys().next().value as string);
  }

  /** A topic a client deleted: unknown again is its right answer. */
  deleted(name: string): void {
    this.createdAtMs.delete(name);
  }

  /** True while a topic created through Turnout may still be unknown to some broker of its backend. */
  isNew(name: string): boolean {
    if (this.createdAtMs.size === 0) return false;
    const at = this.createdAtMs.get(name);
    return at !== undefined && this.nowMs() - at < CREATED_TOPIC_GRACE_MS;
  }

  private expire(now: number): void {
    for (const [name, at] of this.createdAtMs) {
      if (now - at < CREATED_TOPIC_GRACE_MS) return;
      this.createdAtMs.delete(name);
    }
  }
}
