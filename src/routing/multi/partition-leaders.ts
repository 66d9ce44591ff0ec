// Real partition leaders and in-sync replicas per backend, learned from the Metadata answers
// Turnout receives (the clients' and its own refreshes), so that a partition's requests go
// straight to the broker that leads it and a fetch can go to an in-sync follower.

/** What Turnout last learned of one partition. */
export interface PartitionReplicas {
  readonly leaderId: number;
  /** The backend's (real) leader epoch of that leader; absent or -1 when not known. */
  readonly leaderEpoch?: number;
  /** The in-sync replicas, leader included; empty when not known. */
  readonly isr: readonly number[];
  /**
   * The assigned replicas, offline ones included; empty when not known. They change only when
   * the partition is reassigned, which is what lets a virtual leader be placed by them.
   */
  readonly replicas: readonly number[];
  /** When the Metadata request that told it was sent (ms since epoch). */
  readonly learnedAtMs: number;
}

const NOT_KNOWN: PartitionReplicas = { leaderId: -1, leaderEpoch: -1, isr: [], replicas: [], learnedAtMs: 0 };

export class PartitionLeaders {
  private readonly byBackend = new Map<string, Map<string, PartitionReplicas[]>>();

  /** Records a partition's leader and, when the answer carried them, its real leader epoch, in-sync and assigned replicas. */
  record(backend: string, topic: string, partition: number, leaderId: number, isr: readonly number[] = [], learnedAtMs = Date.now(), leaderEpoch = -1, replicas: readonly number[] = []): void {
    let topics = this.byBackend.get(backend);
    if (topics === undefined) this.byBackend.set(backend, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = []));
    const known = partitions[partition];
    // A reply to an older request must not undo what a newer one taught.
    if (known !== undefined && known.learnedAtMs > learnedAtMs) return;
    partitions[partition] = { leaderId, leaderEpoch, isr: [...isr], replicas: [...replicas], learnedAtMs };
  }

  /** The real leader, or -1 when not known (the client refreshes metadata on NOT_LEADER_OR_FOLLOWER). */
  leaderOf(backend: string, topic: string, partition: number): number {
    return this.replicasOf(backend, topic, partition).leaderId;
  }

  replicasOf(backend: string, topic: string, partition: number): PartitionReplicas {
    return this.byBackend.get(backend)?.get(topic)?.[partition] ?? NOT_KNOWN;
  }

  /** The topics of a backend Turnout knows partitions of. */
  topicsOf(backend: string): string[] {
    return [...(this.byBackend.get(backend)?.keys() ?? [])];
  }

  forgetBroker(backend: string, brokerId: number): void {
    const topics = this.byBackend.get(backend);
    if (topics === undefined) return;
    for (const partitions of topics.values()) {
      for (let i = 0; i < partitions.length; i++) {
        const p = partitions[i];
        if (p !== undefined && p.leaderId === brokerId) partitions[i] = { ...p, leaderId: -1 };
      }
    }
  }
}
