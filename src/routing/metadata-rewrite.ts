// Metadata responses: brokers become Turnout's virtual nodes on the client's listener (rack
// kept), every broker id (leader, replicas, ISR, offline replicas, controller) becomes a
// virtual node id, and the cluster id becomes Turnout's.
import { mapIdsToVirtual, rewriteNodeEntries, type RewriteContext } from './rewrite-context.js';

export interface MetadataBrokerLike {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataPartitionLike {
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataResponseLike {
  brokers: MetadataBrokerLike[];
  clusterId: string | null;
  controllerId: number;
  topics: Array<{ partitions: MetadataPartitionLike[] }>;
}

const brokerIdOf = (b: MetadataBrokerLike): number => b.nodeId;
const setBrokerId = (b: MetadataBrokerLike, id: number): void => {
  b.nodeId = id;
};

/** Metadata carries the cluster id from v2. */
const FIRST_CLUSTER_ID_VERSION = 2;

/** Rewrites a decoded Metadata response of `version` in place. */
export function rewriteMetadataResponse<T extends MetadataResponseLike>(m: T, version: number, ctx: RewriteContext): T {
  m.brokers = rewriteNodeEntries(m.brokers, brokerIdOf, setBrokerId, ctx) as T['brokers'];
  if (version >= FIRST_CLUSTER_ID_VERSION) m.clusterId = ctx.clusterId;
  m.controllerId = ctx.toVirtual(m.controllerId);
  for (const topic of m.topics) {
    for (const p of topic.partitions) {
      p.leaderId = ctx.toVirtual(p.leaderId);
      mapIdsToVirtual(p.replicaNodes, ctx);
      mapIdsToVirtual(p.isrNodes, ctx);
      mapIdsToVirtual(p.offlineReplicas, ctx);
    }
  }
  return m;
}
