// Produce (v10+), Fetch (v11+), ShareFetch and ShareAcknowledge responses can name brokers:
// a partition's new leader (CurrentLeader), a preferred read replica (Fetch), and the
// NodeEndpoints tagged field with the address of each node named. They become virtual nodes
// on the client's listener.
//
// These responses are on the hot path, so the rewrite reports whether anything changed: in
// the steady state nothing does, and the caller forwards the original bytes untouched
// instead of re-encoding (record batches are opaque views and never copied either way).
import { rewriteNodeEntries, type RewriteContext } from './rewrite-context.js';

export interface LeaderIdAndEpochLike {
  leaderId: number;
}

export interface NodeEndpointLike {
  nodeId: number;
  host: string;
  port: number;
}

export interface ProduceResponseLike {
  responses: Array<{ partitionResponses: Array<{ currentLeader?: LeaderIdAndEpochLike | null }> }>;
  nodeEndpoints?: NodeEndpointLike[];
}

export interface FetchResponseLike {
  responses: Array<{ partitions: Array<{ currentLeader?: LeaderIdAndEpochLike | null; preferredReadReplica: number }> }>;
  nodeEndpoints?: NodeEndpointLike[];
}

export interface ShareResponseLike {
  responses: Array<{ partitions: Array<{ currentLeader?: LeaderIdAndEpochLike | null }> }>;
  nodeEndpoints?: NodeEndpointLike[];
}

const endpointIdOf = (e: NodeEndpointLike): number => e.nodeId;
const setEndpointId = (e: NodeEndpointLike, id: number): void => {
  e.nodeId = id;
};

function rewriteLeader(leader: LeaderIdAndEpochLike | null | undefined, ctx: RewriteContext): boolean {
  if (leader === null || leader === undefined || leader.leaderId < 0) return false;
  leader.leaderId = ctx.toVirtual(leader.leaderId);
  return true;
}

function rewriteEndpoints<T extends { nodeEndpoints?: NodeEndpointLike[] }>(m: T, ctx: RewriteContext): boolean {
  if (m.nodeEndpoints === undefined || m.nodeEndpoints.length === 0) return false;
  m.nodeEndpoints = rewriteNodeEntries(m.nodeEndpoints, endpointIdOf, setEndpointId, ctx);
  return true;
}

/** Rewrites in place; returns true when anything changed and the response must be re-encoded. */
export function rewriteProduceResponse(m: ProduceResponseLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const topic of m.responses) {
    for (const p of topic.partitionResponses) if (rewriteLeader(p.currentLeader, ctx)) changed = true;
  }
  return rewriteEndpoints(m, ctx) || changed;
}

/** Rewrites in place; returns true when anything changed and the response must be re-encoded. */
export function rewriteFetchResponse(m: FetchResponseLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const topic of m.responses) {
    for (const p of topic.partitions) {
      if (rewriteLeader(p.currentLeader, ctx)) changed = true;
      if (p.preferredReadReplica >= 0) {
        p.preferredReadReplica = ctx.toVirtual(p.preferredReadReplica);
        changed = true;
      }
    }
  }
  return rewriteEndpoints(m, ctx) || changed;
}

/** ShareFetch and ShareAcknowledge; returns true when anything changed. */
export function rewriteShareResponse(m: ShareResponseLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const topic of m.responses) {
    for (const p of topic.partitions) if (rewriteLeader(p.currentLeader, ctx)) changed = true;
  }
  return rewriteEndpoints(m, ctx) || changed;
}
