// FindCoordinator responses: the coordinator (v0-3: one, top level; v4+: one per key) becomes
// the virtual node of the coordinating broker on the client's listener. An entry with an
// error carries no coordinator (-1, "", -1) and is left alone.
import type { RewriteContext } from './rewrite-context.js';

export interface CoordinatorLike {
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
}

export interface FindCoordinatorResponseLike extends CoordinatorLike {
  coordinators: CoordinatorLike[];
}

/** Error returned when the coordinator's virtual node is not reachable yet: retriable. */
export const COORDINATOR_NOT_AVAILABLE = 15;

function rewriteCoordinator(c: CoordinatorLike, ctx: RewriteContext): void {
  if (c.errorCode !== 0 || c.nodeId < 0) return;
  const virtualId = ctx.toVirtual(c.nodeId);
  const ep = ctx.endpoint(virtualId);
  if (ep === null) {
    c.errorCode = COORDINATOR_NOT_AVAILABLE;
    c.nodeId = -1;
    c.host = '';
    c.port = -1;
    return;
  }
  c.nodeId = virtualId;
  c.host = ep.host;
  c.port = ep.port;
}

/** Rewrites a decoded FindCoordinator response in place, whatever its version. */
export function rewriteFindCoordinatorResponse<T extends FindCoordinatorResponseLike>(m: T, version: number, ctx: RewriteContext): T {
  if (version < 4) rewriteCoordinator(m, ctx);
  else for (const c of m.coordinators) rewriteCoordinator(c, ctx);
  return m;
}
