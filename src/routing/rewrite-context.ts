// What every rewrite module needs to present the virtual cluster to one client: how backend
// broker ids map to virtual node ids, and where each virtual node is reached on the
// client's listener. One context exists per listener; it is cheap to consult per response.

export interface NodeEndpoint {
  host: string;
  port: number;
}

export interface RewriteContext {
  /** Turnout's cluster id, shown in place of the backend's. */
  readonly clusterId: string;
  /**
   * Virtual node id of a backend broker id, assigning one on first sight. Negative ids (-1:
   * no leader, no coordinator) are returned unchanged.
   */
  toVirtual(brokerId: number): number;
  /** Backend broker id of a virtual node id, or -1 when the id was never handed out. */
  toBackend(virtualNodeId: number): number;
  /** Where a virtual node is reached on this listener, or null while its port is not bound. */
  endpoint(virtualNodeId: number): NodeEndpoint | null;
}

/** Maps every id of a list in place; returns the list. */
export function mapIdsToVirtual(ids: number[] | null, ctx: RewriteContext): number[] | null {
  if (ids === null) return null;
  for (let i = 0; i < ids.length; i++) ids[i] = ctx.toVirtual(ids[i]);
  return ids;
}

/** Maps every id of a list from virtual to backend in place; ids never handed out become -1. */
export function mapIdsToBackend(ids: number[] | null, ctx: RewriteContext): number[] | null {
  if (ids === null) return null;
  for (let i = 0; i < ids.length; i++) ids[i] = ids[i] < 0 ? ids[i] : ctx.toBackend(ids[i]);
  return ids;
}

/** A node entry of any response: broker id, host, port. */
export interface NodeEntryLike {
  host: string;
  port: number;
}

/**
 * Rewrites a list of node entries (id under `idField`) to virtual nodes on this listener,
 * dropping entries whose node has no bound port yet. Returns the kept entries.
 */
export function rewriteNodeEntries<T extends NodeEntryLike>(
  entries: T[],
  idOf: (e: T) => number,
  setId: (e: T, id: number) => void,
  ctx: RewriteContext,
): T[] {
  const kept: T[] = [];
  for (const e of entries) {
    const virtualId = ctx.toVirtual(idOf(e));
    const ep = ctx.endpoint(virtualId);
    if (ep === null) continue;
    setId(e, virtualId);
    e.host = ep.host;
    e.port = ep.port;
    kept.push(e);
  }
  return kept;
}
