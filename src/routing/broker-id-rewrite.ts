// Admin APIs that carry broker ids but no data path: ids in responses become virtual node
// ids, ids in requests become backend broker ids. Each function rewrites one decoded message
// in place.
import { mapIdsToBackend, mapIdsToVirtual, type RewriteContext } from './rewrite-context.js';

// ---- responses: backend → virtual

export interface DescribeTopicPartitionsResponseLike {
  topics: Array<{
    partitions: Array<{
      leaderId: number;
      replicaNodes: number[];
      isrNodes: number[];
      eligibleLeaderReplicas: number[] | null;
      lastKnownElr: number[] | null;
      offlineReplicas: number[];
    }>;
  }>;
}

export function rewriteDescribeTopicPartitionsResponse(m: DescribeTopicPartitionsResponseLike, ctx: RewriteContext): void {
  for (const t of m.topics) {
    for (const p of t.partitions) {
      p.leaderId = ctx.toVirtual(p.leaderId);
      mapIdsToVirtual(p.replicaNodes, ctx);
      mapIdsToVirtual(p.isrNodes, ctx);
      mapIdsToVirtual(p.eligibleLeaderReplicas, ctx);
      mapIdsToVirtual(p.lastKnownElr, ctx);
      mapIdsToVirtual(p.offlineReplicas, ctx);
    }
  }
}

export interface ListPartitionReassignmentsResponseLike {
  topics: Array<{ partitions: Array<{ replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }> }>;
}

export function rewriteListPartitionReassignmentsResponse(m: ListPartitionReassignmentsResponseLike, ctx: RewriteContext): void {
  for (const t of m.topics) {
    for (const p of t.partitions) {
      mapIdsToVirtual(p.replicas, ctx);
      mapIdsToVirtual(p.addingReplicas, ctx);
      mapIdsToVirtual(p.removingReplicas, ctx);
    }
  }
}

export interface DescribeQuorumResponseLike {
  topics: Array<{
    partitions: Array<{
      leaderId: number;
      currentVoters: Array<{ replicaId: number }>;
      observers: Array<{ replicaId: number }>;
    }>;
  }>;
  nodes: Array<{ nodeId: number; listeners: unknown[] }>;
}

/**
 * Quorum members are controllers, which clients never connect to through Turnout: their ids
 * become virtual ids (stable, like any broker's) and their listener addresses are dropped.
 */
export function rewriteDescribeQuorumResponse(m: DescribeQuorumResponseLike, ctx: RewriteContext): void {
  for (const t of m.topics) {
    for (const p of t.partitions) {
      p.leaderId = ctx.toVirtual(p.leaderId);
      for (const r of p.currentVoters) r.replicaId = ctx.toVirtual(r.replicaId);
      for (const r of p.observers) r.replicaId = ctx.toVirtual(r.replicaId);
    }
  }
  if (m.nodes !== undefined) {
    for (const n of m.nodes) {
      n.nodeId = ctx.toVirtual(n.nodeId);
      n.listeners = [];
    }
  }
}

// ---- requests: virtual → backend

export interface CreateTopicsRequestLike {
  topics: Array<{ assignments: Array<{ brokerIds: number[] }> }>;
}

export function rewriteCreateTopicsRequest(m: CreateTopicsRequestLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const t of m.topics) {
    for (const a of t.assignments) {
      mapIdsToBackend(a.brokerIds, ctx);
      changed = true;
    }
  }
  return changed;
}

export interface CreatePartitionsRequestLike {
  topics: Array<{ assignments: Array<{ brokerIds: number[] }> | null }>;
}

export function rewriteCreatePartitionsRequest(m: CreatePartitionsRequestLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const t of m.topics) {
    if (t.assignments === null) continue;
    for (const a of t.assignments) {
      mapIdsToBackend(a.brokerIds, ctx);
      changed = true;
    }
  }
  return changed;
}

export interface AlterPartitionReassignmentsRequestLike {
  topics: Array<{ partitions: Array<{ replicas: number[] | null }> }>;
}

export function rewriteAlterPartitionReassignmentsRequest(m: AlterPartitionReassignmentsRequestLike, ctx: RewriteContext): boolean {
  let changed = false;
  for (const t of m.topics) {
    for (const p of t.partitions) {
      if (p.replicas === null) continue;
      mapIdsToBackend(p.replicas, ctx);
      changed = true;
    }
  }
  return changed;
}

export interface UnregisterBrokerRequestLike {
  brokerId: number;
}

export function rewriteUnregisterBrokerRequest(m: UnregisterBrokerRequestLike, ctx: RewriteContext): boolean {
  m.brokerId = m.brokerId < 0 ? m.brokerId : ctx.toBackend(m.brokerId);
  return true;
}
