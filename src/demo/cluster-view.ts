// Two views of a cluster: what a client sees through Turnout (virtual nodes, Turnout's cluster
// id) and what is really there (the brokers behind it). Both come from a Metadata request on
// the wire (the devkit's standalone probe, which does not share Turnout's codec), so that
// what a client was shown can be searched for anything of the real clusters.
import { probeKafka } from '../devkit/index.js';
import { splitHostPort } from '../policy/config.js';

export interface NodeView {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterView {
  clusterId: string | null;
  controllerId: number;
  brokers: NodeView[];
}

/** Asks each bootstrap address in turn for Metadata; the first answer wins. */
export async function viewCluster(bootstrapServers: readonly string[], timeoutMs = 5_000): Promise<ClusterView> {
  const errors: string[] = [];
  for (const address of bootstrapServers) {
    const { host, port } = splitHostPort(address);
    const probe = await probeKafka(host, port, { metadata: true, timeoutMs });
    if (probe.brokers !== undefined) {
      return {
        clusterId: probe.clusterId ?? null,
        controllerId: probe.controllerId ?? -1,
        brokers: probe.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    errors.push(`${address}: ${probe.error ?? 'no metadata'}`);
  }
  throw new Error(`no broker answered Metadata (${errors.join('; ')})`);
}

/**
 * Anything of the real cluster that shows in the client's view: a broker address or the
 * real cluster id. Empty when Turnout hides the backend as it must.
 */
export function leakedIdentifiers(seen: ClusterView, real: ClusterView): string[] {
  const leaks: string[] = [];
  const realAddresses = new Set(real.brokers.map((b) => `${b.host}:${b.port}`));
  for (const b of seen.brokers) {
    const address = `${b.host}:${b.port}`;
    if (realAddresses.has(address)) leaks.push(`node ${b.nodeId} is advertised at broker address ${address}`);
  }
  if (real.clusterId !== null && seen.clusterId === real.clusterId) leaks.push(`cluster id ${real.clusterId} is the backend's`);
  return leaks;
}
