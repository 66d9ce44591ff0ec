// DescribeCluster over several backends, answered by Turnout itself: its own nodes on the
// client's listener, the virtual cluster id, the first of those nodes as controller.
import { ApiKey, encodeDescribeClusterResponse, type DescribeClusterResponse } from '../../codec/index.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { encodeResponseFrame } from '../../codec/message-frames.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';

export function describeCluster(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Buffer {
  const nodes = ctx.brokersFor(session);
  const m: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId: ctx.clusterId,
    // One of the nodes this client is shown: with zones, node 0 may be another zone's.
    controllerId: nodes[0]?.nodeId ?? -1,
    brokers: nodes.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: false })),
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
  return encodeResponseFrame(ApiKey.DescribeCluster, ex.apiVersion, { correlationId: ex.correlationId }, m, encodeDescribeClusterResponse);
}
