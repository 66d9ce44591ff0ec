// Virtual node ids: the broker ids clients see. Each backend broker gets one the first time
// Turnout meets it, in order from 0, and keeps it for the life of the process; an id is never
// reused, so a client's cached node id never comes to mean a different broker.

export interface BackendBrokerRef {
  backend: string;
  brokerId: number;
}

export class VirtualNodeMap {
  private readonly byBroker = new Map<string, Map<number, number>>();
  private readonly byVirtual: BackendBrokerRef[] = [];

  /** The virtual id of a backend broker, assigning the next free one on first sight. */
  virtualIdFor(backend: string, brokerId: number): number {
    let ids = this.byBroker.get(backend);
    if (ids === undefined) {
      ids = new Map();
      this.byBroker.set(backend, ids);
    }
    let virtualId = ids.get(brokerId);
    if (virtualId === undefined) {
      virtualId = this.byVirtual.length;
      this.byVirtual.push({ backend, brokerId });
      ids.set(brokerId, virtualId);
    }
    return virtualId;
  }

  /** The virtual id of a backend broker if it has one, else -1. Never assigns. */
  lookupVirtualId(backend: string, brokerId: number): number {
    return this.byBroker.get(backend)?.get(brokerId) ?? -1;
  }

  /** The backend broker behind a virtual id, or undefined for an id never assigned. */
  brokerFor(virtualNodeId: number): BackendBrokerRef | undefined {
    return virtualNodeId >= 0 ? this.byVirtual[virtualNodeId] : undefined;
  }

  /** Number of virtual ids assigned so far. */
  get size(): number {
    return this.byVirtual.length;
  }
}
