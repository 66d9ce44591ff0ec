// How clients in each zone reach Kafka in one run of the zone benchmark. A mode opens a
// session (starting whatever it needs inside the zones) that hands every zone its endpoint,
// and closes it after the run.
import type { ClusterInfo, ZoneLayout } from '../../src/devkit/index.js';
import { combinedMeter, processMeter, type ProcessMeter } from '../proc-stats.js';
import { startTurnoutInZones } from './turnout-instances.js';
import type { ZoneViews } from './turnout-zone-view.js';
import type { ZoneEndpoint } from './workload.js';

export interface ZoneModeContext {
  layout: ZoneLayout;
  cluster: ClusterInfo;
  log: (line: string) => void;
}

export interface ZoneModeSession {
  endpoints: ZoneEndpoint[];
  /** What the mode's own components count by zone (Turnout's GET /v1/zones), when it has any. */
  views?: () => Promise<ZoneViews>;
  /** The mode's proxy processes, when it has any: their CPU time and memory. */
  meter?: ProcessMeter;
  close(): Promise<void>;
}

export interface ZoneMode {
  name: string;
  summary: string;
  /** Where consumers fetch from: partition leaders, or a replica in their zone when one is in sync. */
  fetchPath: 'leaders' | 'zone-replica';
  open(ctx: ZoneModeContext): Promise<ZoneModeSession>;
}

/** Clients bootstrap from every broker and fetch from partition leaders, wherever they are. */
export const directMode: ZoneMode = {
  name: 'direct',
  summary: 'clients straight to Kafka, fetching from leaders',
  fetchPath: 'leaders',
  open: async ({ layout, cluster }) => ({
    endpoints: layout.zones.map((zone) => ({ zone, bootstrap: cluster.bootstrapServers })),
    close: async () => undefined,
  }),
};

/** Straight to Kafka, consumers announcing their zone (KIP-392 follower fetching). */
export const directRackMode: ZoneMode = {
  name: 'direct-rack',
  summary: 'clients straight to Kafka, consumers fetching from a replica in their zone (client.rack)',
  fetchPath: 'zone-replica',
  open: async ({ layout, cluster }) => ({
    endpoints: layout.zones.map((zone) => ({ zone, bootstrap: cluster.bootstrapServers, rack: zone.zone })),
    close: async () => undefined,
  }),
};

/**
 * One Turnout per zone, in the zone's namespace; clients bootstrap to their zone's instance,
 * which shows them only its own nodes and fetches from the in-sync replica in their zone.
 * Consumers announce nothing: the listener they reach names their zone.
 */
export const turnoutMode: ZoneMode = {
  name: 'turnout',
  summary: 'clients through the Turnout instance of their zone',
  fetchPath: 'zone-replica',
  open: async ({ layout, cluster, log }) => {
    const instances = await startTurnoutInZones(layout, cluster, { log });
    return {
      endpoints: layout.zones.map((zone) => ({ zone, bootstrap: instances.bootstrapOf(zone.zone) })),
      views: () => instances.views(),
      meter: combinedMeter('Turnout', instances.pids().map((pid) => processMeter('Turnout', pid))),
      close: () => instances.stop(),
    };
  },
};

export const ZONE_MODES: Readonly<Record<string, ZoneMode>> = {
  [directMode.name]: directMode,
  [directRackMode.name]: directRackMode,
  [turnoutMode.name]: turnoutMode,
};

export function zoneMode(name: string): ZoneMode {
  const mode = ZONE_MODES[name];
  if (mode === undefined) throw new Error(`unknown zone mode ${JSON.stringify(name)}; known: ${Object.keys(ZONE_MODES).join(', ')}`);
  return mode;
}
