import { describe, expect, it } from 'vitest';
import { leakedIdentifiers, type ClusterView } from '../../../src/demo/cluster-view.js';

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
