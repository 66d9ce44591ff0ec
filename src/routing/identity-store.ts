// Where several Turnout instances keep the identities they present to clients and must agree
// on: virtual topic ids (with each backend's real id) and the backend of each leader epoch
// generation. identity-sync.ts connects a store to the router's maps;
// identity-redis-store.ts is the Redis implementation (the only one: with the file store
// there is one instance and nothing to share).
//
// Rules every implementation keeps:
// - Topic ids: the first writer of a topic wins. A write with the stored virtual id merges
//   its bindings; one with another virtual id replaces the stored entry only when it is a
//   newer incarnation (its serving backend's real id differs from the one stored for that
//   backend, or it names the stored id as the one it replaced); else the stored entry stands
//   and is returned, for the writer to adopt. Every stored entry carries a revision from one
//   counter, so a reader can tell the newer of two entries (or deletions) for a name.
// - Generations: (topic, generation) → backend is written once; later claims get the holder.
// - Every change is announced to the other instances.
import type { EpochGeneration } from './leader-epoch-map.js';
import type { TopicIdEntry } from './topic-id-map.js';

/** A topic's ids as stored, with the revision of the write that stored them. */
export interface StoredTopicId extends TopicIdEntry {
  rev: number;
}

export interface StoredGeneration extends EpochGeneration {
  topic: string;
}

/** What another instance changed. */
export type IdentityChange =
  | { kind: 'topic'; entry: StoredTopicId }
  | { kind: 'forget'; name: string; virtualId: string; rev: number }
  | { kind: 'generation'; generation: StoredGeneration };

export interface StoredIdentities {
  topics: StoredTopicId[];
  generations: StoredGeneration[];
}

export interface IdentityStore {
  /** Connects; `onConnected` listeners hear when it is reachable. Never fails: an unreachable store is retried. */
  start(): void;
  /** Everything stored. Rejects when the store cannot be read. */
  load(): Promise<StoredIdentities>;
  /**
   * Writes a topic's ids (`previousVirtualId`: the id this entry replaced, when the topic was
   * recreated). Resolves with the entry stored afterwards, which may be another instance's.
   */
  writeTopic(entry: TopicIdEntry, previousVirtualId: string | null): Promise<StoredTopicId>;
  /** Deletes a topic's ids if they still carry `virtualId`; resolves with the deletion's revision, 0 when nothing was deleted. */
  forgetTopic(name: string, virtualId: string): Promise<number>;
  /** Claims a generation for its backend; resolves with the backend that holds it afterwards. */
  claimGeneration(generation: StoredGeneration): Promise<string>;
  /** Changes announced by other instances. */
  onChange(listener: (change: IdentityChange) => void): void;
  /** Called whenever the store becomes reachable (first connection and every reconnection). */
  onConnected(listener: () => void): void;
  close(): Promise<void>;
}
