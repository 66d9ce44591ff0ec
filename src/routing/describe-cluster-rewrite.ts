// DescribeCluster responses: brokers become virtual nodes on the client's listener, the
// controller id a virtual node id, the cluster id Turnout's.
import { rewriteNodeEntries, type RewriteContext } from './rewrite-context.js';

export interface DescribeClusterBrokerLike {
  brokerId: number;
  host: string;
  port: number;
}

export interface DescribeClusterResponseLike {
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterBrokerLike[];
}

const idOf = (b: DescribeClusterBrokerLike): number => b.brokerId;
const setId = (b: DescribeClusterBrokerLike, id: number): void => {
  b.brokerId = id;
};

export function rewriteDescribeClusterResponse<T extends DescribeClusterResponseLike>(m: T, ctx: RewriteContext): T {
  m.clusterId = ctx.clusterId;
  m.controllerId = ctx.toVirtual(m.controllerId);
  m.brokers = rewriteNodeEntries(m.brokers, idOf, setId, ctx) as T['brokers'];
  return m;
}
