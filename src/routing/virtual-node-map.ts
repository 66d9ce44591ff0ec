// Virtual node ids: the broker ids clients see. Each backend broker gets one the first time
// Turnout meets it, in order from 0, and keeps it for the life of the process; an id is never
// reused, so a client's cached node id never comes to mean a different broker. A worker of
// several processes starts with the ids its siblings gave (`known`) and reports its own.

export interface BackendBrokerRef {
  backend: string;
  brokerId: number;
}

/** A backend broker and the virtual id it was given. */
export interface VirtualNodeAssignment extends BackendBrokerRef {
  virtualNodeId: number;
}

export interface VirtualNodeMapOptions {
  /**
   * Ids given before this map existed (by another process of the same Turnout): kept, so that
   * a restarted process presents its brokers under the ids its siblings present.
   */
  known?: readonly VirtualNodeAssignment[];
  /** Told of each id this map gives (not of the known ones). */
  onAssigned?: (assignment: VirtualNodeAssignment) => void;
}

export class VirtualNodeMap {
  private readonly byBroker = new Map<string, Map<number, number>>();
  private readonly byVirtual: Array<BackendBrokerRef | undefined> = [];
  private readonly onAssigned: ((assignment: VirtualNodeAssignment) => void) | undefined;

  constructor(opts: VirtualNodeMapOptions = {}) {
    this.onAssigned = opts.onAssigned;
    for (const a of opts.known ?? []) {
      // A broker or an id met twice: the first assignment stands.
      if (this.byVirtual[a.virtualNodeId] !== undefined || this.lookupVirtualId(a.backend, a.brokerId) >= 0) continue;
      this.remember(a.backend, a.brokerId, a.virtualNodeId);
    }
  }

  /** The virtual id of a backend broker, assigning the next free one on first sight. */
  virtualIdFor(backend: string, brokerId: number): number {
    const known = this.lookupVirtualId(backend, brokerId);
    if (known >= 0) return known;
    const virtualId = this.byVirtual.length;
    this.remember(backend, brokerId, virtualId);
    this.onAssigned?.({ backend, brokerId, virtualNodeId: virtualId });
    return virtualId;
  }

  private remember(backend: string, brokerId: number, virtualId: number): void {
    let ids = this.byBroker.get(backend);
    if (ids === undefined) {
      ids = new Map();
      this.byBroker.set(backend, ids);
    }
    ids.set(brokerId, virtualId);
    this.byVirtual[virtualId] = { backend, brokerId };
  }

  /** The virtual id of a backend broker if it has one, else -1. Never assigns. */
  lookupVirtualId(backend: string, brokerId: number): number {
    return this.byBroker.get(backend)?.get(brokerId) ?? -1;
  }

  /** The backend broker behind a virtual id, or undefined for an id never assigned. */
  brokerFor(virtualNodeId: number): BackendBrokerRef | undefined {
    return virtualNodeId >= 0 ? this.byVirtual[virtualNodeId] : undefined;
  }

  /** Number of virtual ids assigned so far (with known ids: the highest plus one). */
  get size(): number {
    return this.byVirtual.length;
  }
}
