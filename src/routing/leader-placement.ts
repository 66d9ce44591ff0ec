// Which of the Turnout nodes a client is shown stands for a real broker: every partition that
// one real broker serves to the client is shown led by the same node, so that a consumer's
// Fetch to that node has one real destination and is forwarded whole (multi/fetch-forward.ts)
// rather than split and gathered. MultiContext.virtualLeaderOf picks the broker (the replica
// that serves the client's fetches); this module picks its node.
//
// A broker's node is its slot among the n served nodes (slot i is nodeIds[i]). Slots are
// given backend by backend in configuration order, brokers in id order:
//   - broker b of the k-th of B backends prefers slot (b + floor(k * n / B)) mod n: broker
//     ids are usually consecutive, so one backend's brokers land on consecutive slots, and
//     the backends start evenly apart;
//   - a broker whose slot is taken takes the next free one; once all n are taken (more
//     brokers than nodes), a new round starts with every slot free again.
// So while there are no more brokers than nodes each broker has a node of its own. A broker
// keeps its place among the brokers once listed, even while its backend no longer lists it
// (stopped): a broker that stops then moves no other broker's node, which with ids that are
// not consecutive, or more brokers than nodes, it otherwise could (kafkajs rejoins its group
// when a partition's leader node changes). The answer depends only on the configuration and
// the brokers each backend has listed, which is what lets several Turnout instances (zone
// peers) show a client the same leaders.
//
// A broker no backend lists yet (a leader named before the topology refresh that will list
// it) gets its preferred slot.

/** A backend's live brokers, as its topology lists them. */
export interface BrokerRoster {
  readonly backend: string;
  /** Broker id → anything; a new map object whenever the brokers may have changed. */
  brokers(): ReadonlyMap<number, unknown>;
}

/** Backend → broker id → slot. */
export type BrokerSlots = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** The slot a broker prefers before any other broker is placed. */
export function preferredSlot(backendIndex: number, backendCount: number, brokerId: number, nodes: number): number {
  const offset = Math.floor((backendIndex * nodes) / Math.max(1, backendCount));
  return (((brokerId + offset) % nodes) + nodes) % nodes;
}

/** Every listed broker's slot among `nodes` nodes (see the top of this file). */
export function brokerSlots(backends: ReadonlyArray<{ backend: string; brokerIds: Iterable<number> }>, nodes: number): BrokerSlots {
  const out = new Map<string, Map<number, number>>();
  const taken = new Array<boolean>(nodes).fill(false);
  let free = nodes;
  backends.forEach((b, k) => {
    const slots = new Map<number, number>();
    out.set(b.backend, slots);
    for (const id of [...b.brokerIds].sort((x, y) => x - y)) {
      if (free === 0) {
        taken.fill(false);
        free = nodes;
      }
      let slot = preferredSlot(k, backends.length, id, nodes);
      while (taken[slot]) slot = (slot + 1) % nodes;
      taken[slot] = true;
      free--;
      slots.set(id, slot);
    }
  });
  return out;
}

/** The node of each real broker among the nodes a client is shown, worked out again only when a broker list changes. */
export class LeaderPlacement {
  private readonly rosters: readonly BrokerRoster[];
  private readonly indexOf: ReadonlyMap<string, number>;
  /** The broker maps last taken in, per roster. */
  private readonly seen: Array<ReadonlyMap<number, unknown> | undefined>;
  /** Every broker each roster has listed, stopped ones included: what the slots are worked out from. */
  private readonly listed: Array<Set<number>>;
  /** Node count → slots. */
  private readonly slotsByCount = new Map<number, BrokerSlots>();

  constructor(rosters: readonly BrokerRoster[]) {
    this.rosters = rosters;
    this.indexOf = new Map(rosters.map((r, i) => [r.backend, i]));
    this.seen = rosters.map(() => undefined);
    this.listed = rosters.map(() => new Set());
  }

  /** The node among `nodeIds` (not empty) that stands for broker `brokerId` (>= 0) of `backend`. */
  nodeOf(nodeIds: readonly number[], backend: string, brokerId: number): number {
    const n = nodeIds.length;
    const slot = this.slots(n).get(backend)?.get(brokerId) ?? preferredSlot(this.indexOf.get(backend) ?? 0, this.rosters.length, brokerId, n);
    return nodeIds[slot];
  }

  private slots(nodes: number): BrokerSlots {
    if (this.learnBrokers()) this.slotsByCount.clear();
    let slots = this.slotsByCount.get(nodes);
    if (slots === undefined) {
      slots = brokerSlots(this.rosters.map((r, i) => ({ backend: r.backend, brokerIds: this.listed[i] })), nodes);
      this.slotsByCount.set(nodes, slots);
    }
    return slots;
  }

  /** Takes in the rosters' broker lists; true when a broker not listed before appeared. */
  private learnBrokers(): boolean {
    let grew = false;
    for (let i = 0; i < this.rosters.length; i++) {
      const brokers = this.rosters[i].brokers();
      if (brokers === this.seen[i]) continue;
      this.seen[i] = brokers;
      for (const id of brokers.keys()) {
        if (this.listed[i].has(id)) continue;
        this.listed[i].add(id);
        grew = true;
      }
    }
    return grew;
  }
}
