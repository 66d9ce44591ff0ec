// Real partition leaders per backend, learned from the Metadata answers Turnout receives, so
// that a partition's requests go straight to the broker that leads it.

export class PartitionLeaders {
  private readonly byBackend = new Map<string, Map<string, number[]>>();

  record(backend: string, topic: string, partition: number, leaderId: number): void {
    let topics = this.byBackend.get(backend);
    if (topics === undefined) this.byBackend.set(backend, (topics = new Map()));
    let leaders = topics.get(topic);
    if (leaders === undefined) topics.set(topic, (leaders = []));
    leaders[partition] = leaderId;
  }

  /** The real leader, or -1 when not known (the client refreshes metadata on NOT_LEADER_OR_FOLLOWER). */
  leaderOf(backend: string, topic: string, partition: number): number {
    return this.byBackend.get(backend)?.get(topic)?.[partition] ?? -1;
  }

  forgetBroker(backend: string, brokerId: number): void {
    const topics = this.byBackend.get(backend);
    if (topics === undefined) return;
    for (const leaders of topics.values()) {
      for (let i = 0; i < leaders.length; i++) if (leaders[i] === brokerId) leaders[i] = -1;
    }
  }
}
