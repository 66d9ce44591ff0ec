// DescribeCluster: a broker answers anyone (Kafka's table lists DESCRIBE on the cluster, but
// KafkaApis only uses it for the authorized operations); the cluster's authorized operations,
// when asked for, are Turnout's: none without DESCRIBE on the cluster.
import { ApiKey } from '../../../codec/index.js';
import { CLUSTER_RESOURCE_NAME } from '../../../policy/acl-model.js';
import { apiRule } from '../api-rule.js';

export const describeClusterRule = apiRule({
  apiKey: ApiKey.DescribeCluster,
  checks: 'no denial; the Cluster authorized operations, when asked for, need DESCRIBE on the Cluster',
  decide(req, call) {
    if (!req.includeClusterAuthorizedOperations) return { kind: 'forward' };
    return call.forward(undefined, (res) => {
      if (res.errorCode === 0) {
        res.clusterAuthorizedOperations = call.authz.allowedOnCluster('DESCRIBE') ? call.authz.authorizedOperations('CLUSTER', CLUSTER_RESOURCE_NAME) : 0;
      }
      return res;
    });
  },
});
