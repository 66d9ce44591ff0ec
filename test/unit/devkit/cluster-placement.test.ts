import { describe, expect, it } from 'vitest';
import { checkPlacement, placedBroker, placedController, placementConflicts, replicationPortOf, type ClusterPlacement } from '../../../src/devkit/cluster-placement.js';
import { inNetns, tcpRelayCommand, checkNetnsName } from '../../../src/devkit/netns.js';
import { nodeProperties, type NodeConfigInput } from '../../../src/devkit/node-config.js';
import { bootstrapServers } from '../../../src/devkit/cluster-record.js';

const zoned: ClusterPlacement = {
  controller: { host: '10.231.3.254', netns: 'tz-core' },
  brokers: [
    { host: '10.231.1.1', replicationHost: '10.231.2.1', netns: 'tz-a' },
    { host: '10.231.1.2', replicationHost: '10.231.2.2', netns: 'tz-b' },
  ],
};

describe('cluster placement', () => {
  it('accepts one placement per broker with IPv4 addresses and plain namespace names', () => {
    expect(checkPlacement(zoned, 2)).toBe(zoned);
  });

  it('rejects a broker count mismatch, a host name, a bad namespace and a shared replication address', () => {
    expect(() => checkPlacement(zoned, 3)).toThrow('placement lists 2 brokers for a cluster of 3');
    expect(() => checkPlacement({ ...zoned, controller: { host: 'localhost' } }, 2)).toThrow('controller host: "localhost" is not an IPv4 address');
    expect(() => checkPlacement({ ...zoned, controller: { host: '10.0.0.1', netns: '../etc' } }, 2)).toThrow('invalid network namespace name');
    const shared: ClusterPlacement = { ...zoned, brokers: [zoned.brokers[0]!, { host: '10.231.1.2', replicationHost: '10.231.2.1' }] };
    expect(() => checkPlacement(shared, 2)).toThrow('broker 2 replication host 10.231.2.1 is not its own');
    const onClientAddress: ClusterPlacement = { ...zoned, brokers: [zoned.brokers[0]!, { host: '10.231.1.2', replicationHost: '10.231.1.1' }] };
    expect(() => checkPlacement(onClientAddress, 2)).toThrow('is not its own');
  });

  it('records a placed broker with its replication listener one port above the client port', () => {
    expect(placedBroker(zoned, 1, 25_000)).toEqual({ host: '10.231.1.2', replication: { host: '10.231.2.2', port: replicationPortOf(25_000) }, netns: 'tz-b' });
    expect(replicationPortOf(25_000)).toBe(25_001);
    expect(placedBroker(undefined, 0, 25_000)).toEqual({});
    expect(placedController(zoned)).toEqual({ host: '10.231.3.254', netns: 'tz-core' });
    expect(placedController(undefined)).toEqual({});
  });

  it('names what differs between a recorded cluster and the placement asked for', () => {
    const recorded = {
      controller: { id: 100, port: 25_002, ...placedController(zoned) },
      brokers: [0, 1].map((i) => ({ id: i + 1, port: 25_000 + i, rack: 'az', ...placedBroker(zoned, i, 25_000 + i) })),
    };
    expect(placementConflicts(recorded, zoned)).toEqual([]);
    expect(placementConflicts(recorded, undefined)).toEqual(['controller at 10.231.3.254 in tz-core', 'broker 1 at 10.231.1.1 in tz-a', 'broker 2 at 10.231.1.2 in tz-b']);
    const loopback = { controller: { id: 100, port: 1 }, brokers: [{ id: 1, port: 2, rack: 'az' }] };
    expect(placementConflicts(loopback, undefined)).toEqual([]);
  });

  it('lists each placed broker at its own address in the bootstrap servers', () => {
    const brokers = [0, 1].map((i) => ({ id: i + 1, port: 25_000 + i, rack: 'az', ...placedBroker(zoned, i, 25_000 + i) }));
    expect(bootstrapServers({ host: '127.0.0.1', brokers })).toBe('10.231.1.1:25000,10.231.1.2:25001');
    expect(bootstrapServers({ host: '127.0.0.1', brokers: [{ id: 1, port: 9, rack: 'az' }] })).toBe('127.0.0.1:9');
  });
});

describe('broker with a replication listener', () => {
  const input: NodeConfigInput = {
    version: '4.1.1',
    role: 'broker',
    node: { id: 1, host: '10.231.1.1', port: 25_000 },
    rack: 'az-a',
    replication: { host: '10.231.2.1', port: 25_001 },
    controller: { id: 100, host: '10.231.3.254', port: 25_003 },
    dataDir: '/tmp/b1',
    brokerCount: 3,
  };

  it('listens for clients and for replication on separate addresses and replicates over the latter', () => {
    const p = new Map(nodeProperties(input));
    expect(p.get('listeners')).toBe('PLAINTEXT://10.231.1.1:25000,REPLICATION://10.231.2.1:25001');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://10.231.1.1:25000,REPLICATION://10.231.2.1:25001');
    expect(p.get('inter.broker.listener.name')).toBe('REPLICATION');
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT');
    expect(p.get('controller.quorum.bootstrap.servers')).toBe('10.231.3.254:25003');
    expect(p.get('broker.rack')).toBe('az-a');
  });
});

describe('network namespaces', () => {
  it('wraps a command in ip netns exec, or leaves it alone without a namespace', () => {
    expect(inNetns('tz-a', 'java', ['-version'])).toEqual({ command: 'ip', args: ['netns', 'exec', 'tz-a', 'java', '-version'] });
    expect(inNetns(undefined, 'java', ['-version'])).toEqual({ command: 'java', args: ['-version'] });
  });

  it('refuses namespace names that are not plain', () => {
    for (const bad of ['', '-x', 'a/b', '..', 'a b']) expect(() => checkNetnsName(bad)).toThrow('invalid network namespace name');
    expect(checkNetnsName('tz-core')).toBe('tz-core');
  });

  it('relays a TCP connection from inside a namespace through node on stdio', () => {
    const { command, args } = tcpRelayCommand('tz-b', '10.231.1.2', 9092);
    expect(command).toBe('ip');
    expect(args.slice(0, 4)).toEqual(['netns', 'exec', 'tz-b', process.execPath]);
    expect(args.slice(-2)).toEqual(['10.231.1.2', '9092']);
  });
});
