import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kroxyliciousConfig } from '../../../bench/kroxylicious.js';

describe('Kroxylicious configuration', () => {
  it('puts one virtual cluster over the bench cluster, a port per broker id from the bootstrap port on, no filters', () => {
    const config = parse(kroxyliciousConfig('127.0.0.1:9092,127.0.0.1:9093', 26000, [3, 1, 2])) as {
      virtualClusters: Array<{ name: string; targetCluster: { bootstrapServers: string }; gateways: Array<{ portIdentifiesNode: { bootstrapAddress: string; nodeIdRanges: Array<{ start: number; end: number }> } }> }>;
      filterDefinitions?: unknown;
    };
    expect(config.virtualClusters).toHaveLength(1);
    const cluster = config.virtualClusters[0];
    expect(cluster?.targetCluster.bootstrapServers).toBe('127.0.0.1:9092,127.0.0.1:9093');
    expect(cluster?.gateways[0]?.portIdentifiesNode.bootstrapAddress).toBe('127.0.0.1:26000');
    expect(cluster?.gateways[0]?.portIdentifiesNode.nodeIdRanges).toEqual([{ name: 'brokers', start: 1, end: 3 }]);
    expect(config.filterDefinitions).toBeUndefined();
  });
});
