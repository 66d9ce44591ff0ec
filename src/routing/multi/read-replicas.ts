// Which replica serves a client's fetch of a partition: an in-sync replica in the client's
// zone when there is one (brokers answer consumer fetches on followers from Fetch v11,
// KIP-392), else the leader.
//
// A follower that answered a partition with a leadership or epoch error, or could not be
// reached, is set aside for that partition: it is used again only once a Metadata answer
// asked for at least QUARANTINE_MS after that shows it in the ISR again (and the broker is
// live). A follower that leaves the ISR stops being chosen as soon as a refresh says so.
import type { PartitionReplicas } from './partition-leaders.js';

/** A follower set aside is not tried again before this, however soon a refresh lists it. */
export const QUARANTINE_MS = 3_000;

export interface ReplicaChoice {
  brokerId: number;
  follower: boolean;
}

export interface ReplicaFacts {
  /** The zone of a backend broker (its rack through rackZones), or null. */
  brokerZone(backend: string, brokerId: number): string | null;
  /** True while the backend lists the broker as live. */
  isLive(backend: string, brokerId: number): boolean;
}

export class ReadReplicas {
  private readonly facts: ReplicaFacts;
  /** `backend/topic/partition` → broker set aside → when. */
  private readonly setAside = new Map<string, Map<number, number>>();

  constructor(facts: ReplicaFacts) {
    this.facts = facts;
  }

  /** The replica to fetch from for a client in `clientZone`; `replicas.leaderId` must be known. */
  choose(backend: string, topic: string, partition: number, clientZone: string | null, replicas: PartitionReplicas): ReplicaChoice {
    const leader = { brokerId: replicas.leaderId, follower: false };
    if (clientZone === null || this.facts.brokerZone(backend, replicas.leaderId) === clientZone) return leader;
    // Asked per partition of every Fetch: no key is built while nothing is set aside.
    const aside = this.setAside.size === 0 ? undefined : this.setAside.get(keyOf(backend, topic, partition));
    for (const id of replicas.isr) {
      if (id === replicas.leaderId || this.facts.brokerZone(backend, id) !== clientZone || !this.facts.isLive(backend, id)) continue;
      const since = aside?.get(id);
      if (since !== undefined) {
        if (replicas.learnedAtMs < since + QUARANTINE_MS) continue;
        aside?.delete(id);
        if (aside?.size === 0) this.setAside.delete(keyOf(backend, topic, partition));
      }
      return { brokerId: id, follower: true };
    }
    return leader;
  }

  /**
   * The replica a client in `clientZone` is served by while nothing is wrong: the leader when
   * it is in the zone, else the first assigned replica in the zone (the in-sync ones when the
   * assignment is not known), else the leader. Unlike `choose` it ignores the ISR, liveness
   * and set-aside followers, so a stopped or lagging broker does not change it, and needs no
   * leader when the assignment is known. -1 when nothing is known.
   */
  steadyReplica(backend: string, clientZone: string, replicas: PartitionReplicas): number {
    if (replicas.leaderId >= 0 && this.facts.brokerZone(backend, replicas.leaderId) === clientZone) return replicas.leaderId;
    const assigned = replicas.replicas.length > 0 ? replicas.replicas : replicas.isr;
    for (const id of assigned) if (this.facts.brokerZone(backend, id) === clientZone) return id;
    return replicas.leaderId;
  }

  /** Sets a follower aside for a partition until a later refresh lists it in sync again. */
  setAsideFollower(backend: string, topic: string, partition: number, brokerId: number, nowMs = Date.now()): void {
    const key = keyOf(backend, topic, partition);
    let aside = this.setAside.get(key);
    if (aside === undefined) this.setAside.set(key, (aside = new Map()));
    aside.set(brokerId, nowMs);
  }

  /** True when some follower of the partition is set aside (its state is worth refreshing). */
  hasSetAside(backend: string, topic: string, partition: number): boolean {
    return (this.setAside.get(keyOf(backend, topic, partition))?.size ?? 0) > 0;
  }
}

function keyOf(backend: string, topic: string, partition: number): string {
  return `${backend}/${topic}/${partition}`;
}
