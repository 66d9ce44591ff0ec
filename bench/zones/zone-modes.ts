// How clients in each zone reach Kafka in one run of the zone benchmark. A mode opens a
// session (starting whatever it needs inside the zones) that hands every zone its endpoint,
// and closes it after the run. The Turnout mode (one Turnout per zone, clients pinned to
// their zone's instance) plugs in here as another entry of ZONE_MODES.
import type { ClusterInfo, ZoneLayout } from '../../src/devkit/index.js';
import type { ZoneEndpoint } from './workload.js';

export interface ZoneModeContext {
  layout: ZoneLayout;
  cluster: ClusterInfo;
  log: (line: string) => void;
}

export interface ZoneModeSession {
  endpoints: ZoneEndpoint[];
  close(): Promise<void>;
}

export interface ZoneMode {
  name: string;
  summary: string;
  open(ctx: ZoneModeContext): Promise<ZoneModeSession>;
}

/** Clients bootstrap from every broker and fetch from partition leaders, wherever they are. */
export const directMode: ZoneMode = {
  name: 'direct',
  summary: 'clients straight to Kafka, fetching from leaders',
  open: async ({ layout, cluster }) => ({
    endpoints: layout.zones.map((zone) => ({ zone, bootstrap: cluster.bootstrapServers })),
    close: async () => undefined,
  }),
};

/** Straight to Kafka, consumers announcing their zone (KIP-392 follower fetching). */
export const directRackMode: ZoneMode = {
  name: 'direct-rack',
  summary: 'clients straight to Kafka, consumers fetching from a replica in their zone (client.rack)',
  open: async ({ layout, cluster }) => ({
    endpoints: layout.zones.map((zone) => ({ zone, bootstrap: cluster.bootstrapServers, rack: zone.zone })),
    close: async () => undefined,
  }),
};

export const ZONE_MODES: Readonly<Record<string, ZoneMode>> = {
  [directMode.name]: directMode,
  [directRackMode.name]: directRackMode,
};

export function zoneMode(name: string): ZoneMode {
  const mode = ZONE_MODES[name];
  if (mode === undefined) throw new Error(`unknown zone mode ${JSON.stringify(name)}; known: ${Object.keys(ZONE_MODES).join(', ')}`);
  return mode;
}
