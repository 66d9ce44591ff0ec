import { describe, expect, it } from 'vitest';
import { leakedIdentifiers, mapVirtualNodes, type ClusterView } from '../../../src/demo/cluster-view.js';

const real: ClusterView = {
  clusterId: 'realClusterIdAAAAAAAAA',
  controllerId: 2,
  brokers: [
    { nodeId: 1, host: '127.0.0.1', port: 30140, rack: 'az-a' },
    { nodeId: 2, host: '127.0.0.1', port: 30141, rack: 'az-b' },
    { nodeId: 3, host: '127.0.0.1', port: 30142, rack: 'az-c' },
  ],
};

const seen: ClusterView = {
  clusterId: 'tUrNoUtDeMoViRtUaLcLu0',
  controllerId: 1,
  brokers: [
    { nodeId: 0, host: '127.0.0.1', port: 41739, rack: 'az-a' },
    { nodeId: 1, host: '127.0.0.1', port: 41185, rack: 'az-b' },
    { nodeId: 2, host: '127.0.0.1', port: 39539, rack: 'az-c' },
  ],
};

describe('mapVirtualNodes', () => {
  it('pairs each virtual node with the broker that really leads its partitions', () => {
    const routes = mapVirtualNodes(seen, real, [
      { partition: 3, virtualLeader: 0, realLeader: 1 },
      { partition: 0, virtualLeader: 0, realLeader: 1 },
      { partition: 1, virtualLeader: 1, realLeader: 2 },
      { partition: 2, virtualLeader: 2, realLeader: 3 },
    ]);
    expect(routes.map((r) => [r.virtual.nodeId, r.real?.nodeId, r.partitions])).toEqual([
      [0, 1, [0, 3]],
      [1, 2, [1]],
      [2, 3, [2]],
    ]);
  });

  it('pairs a node that leads nothing by its rack', () => {
    const routes = mapVirtualNodes(seen, real, [{ partition: 0, virtualLeader: 0, realLeader: 1 }]);
    expect(routes.map((r) => r.real?.nodeId)).toEqual([1, 2, 3]);
    expect(routes[1]?.partitions).toEqual([]);
  });

  it('leaves the broker unknown when the rack does not single one out', () => {
    const sameRack: ClusterView = { ...real, brokers: real.brokers.map((b) => ({ ...b, rack: 'az-a' })) };
    const routes = mapVirtualNodes({ ...seen, brokers: seen.brokers.map((b) => ({ ...b, rack: 'az-a' })) }, sameRack, []);
    expect(routes.map((r) => r.real)).toEqual([null, null, null]);
  });
});

describe('leakedIdentifiers', () => {
  it('finds nothing when the client sees only Turnout', () => {
    expect(leakedIdentifiers(seen, real)).toEqual([]);
  });

  it("reports a broker address or the backend's cluster id in the client's view", () => {
    const leaky: ClusterView = { clusterId: real.clusterId, controllerId: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port: 30141, rack: 'az-b' }] };
    expect(leakedIdentifiers(leaky, real)).toEqual([
      'node 0 is advertised at broker address 127.0.0.1:30141',
      'cluster id realClusterIdAAAAAAAAA is the backend\'s',
    ]);
  });
});
