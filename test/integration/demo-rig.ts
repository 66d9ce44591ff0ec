// The demo's two clusters in integration tests: the rig's main (Kafka 4.1.1) as east, where the
// orders domain starts, and legacy (3.9.1) as west, its migration target and payments' home.
import type { DemoBackends } from '../../src/demo/demo-workspace.js';
import { mainCluster, useCluster, type ClusterInfo } from './rig.js';

function backendOf(cluster: ClusterInfo): DemoBackends['east'] {
  return { bootstrapServers: cluster.bootstrapServers.split(','), kafkaVersion: cluster.version, label: `cluster ${cluster.cluster}` };
}

export async function rigDemoBackends(): Promise<{ backends: DemoBackends; clusters: ClusterInfo[] }> {
  const east = mainCluster();
  const west = await useCluster('legacy');
  return { backends: { east: backendOf(east), west: backendOf(west) }, clusters: [east, west] };
}
