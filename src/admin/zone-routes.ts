// The zone view of the admin endpoint:
//   GET /v1/zones   the configured zones and listener zones, connected clients per zone by
//                   the source that decided it, each connection's zone, bytes to and from
//                   backend brokers by zone pair, and the cross-zone totals
// Shape (ZonesResponse below; a client without a zone has "zone": null):
//   { "zones": ["az-a", ...],
//     "listeners": [{ "name": "default", "zone": "az-a" }],
//     "clients": { "total": 3,
//                  "byZone": [{ "zone": "az-b", "total": 2, "bySource": { "client-id-tag": 1, "cidr": 1 } }],
//                  "connections": [{ "connId": 7, "listener": "default", "remote": "127.0.0.1:50122",
//                                    "clientId": "svc,turnout_az=az-b", "zone": "az-b",
//                                    "source": "client-id-tag", "evidence": "turnout_az=az-b" }],
//                  "connectionsTruncated": false },
//     "bytes": { "pairs": [{ "clientZone": "az-b", "brokerZone": "az-a", "crossZone": true,
//                            "toBrokerBytes": 120, "fromBrokerBytes": 4096 }],
//                "crossZone": { "toBrokerBytes": 120, "fromBrokerBytes": 4096 } },
//     "decisions": [{ "zone": "az-b", "source": "client-id-tag", "count": 4 }],
//     "routing": { "fallbacks": [{ "clientZone": "az-d", "servedZone": "az-a", "connections": 2 }],
//                  "fetches": [{ "clientZone": "az-b", "brokerZone": "az-b", "replica": "follower",
//                                "partitions": 310, "recordBytes": 52000 }],
//                  "followerRetries": { "offset_out_of_range": 1, "unreachable": 3 },
//                  "remoteLeaders": [{ "domain": "orders", "topic": "orders.created", "partition": 2,
//                                      "leaderZone": "az-c", "producerZones": ["az-a"]}] },
//     "peers": [{ "name": "turnout-b", "zone": "az-b", "endpoint": "10.0.2.10:9192", "up": false,
//                 "failures": 3, "lastError": "connect ECONNREFUSED 10.0.2.10:9192",
//                 "sinceMs": 1795000000000 }] }
// Byte counts are since start; `decisions` counts every decision, of open and closed connections.
// `routing` (Turnout-nodes presentation): connections shown another zone's nodes, partitions
// fetched by replica kind, follower answers fetched again at the leader, and the partitions of
// producer-zone domains whose leaders are outside their producers' zones. `peers`: the other
// instances of zoneRouting.peers and whether their probes answer (a zone whose peers are all
// down is served from its fallback).
import type http from 'node:http';
import type { ZoneDecisionCount, ZonePairBytes, ZoneTrafficSnapshot } from '../observability/zone-metrics.js';
import type { PeerState } from '../routing/peer-health.js';

type ZoneRoutingView = Pick<ZoneTrafficSnapshot, 'fallbacks' | 'fetches' | 'followerRetries' | 'remoteLeaders'>;
import { ZONE_SOURCES, type ZoneSource } from '../policy/zone-resolver.js';

/** One open client connection and its zone. */
export interface ZoneClientView {
  connId: number;
  listener: string;
  remote: string;
  clientId: string | null;
  zone: string | null;
  source: ZoneSource;
  evidence: string | null;
}

/** Where the zone view comes from at run time. */
export interface ZoneInsights {
  zones: readonly string[];
  listeners: ReadonlyArray<{ name: string; zone: string | null }>;
  connections: () => Iterable<ZoneClientView>;
  traffic: () => ZoneTrafficSnapshot;
  /** The peer instances and their probe state (none without zoneRouting.peers). */
  peers?: () => PeerState[];
}

export interface ZoneClientCount {
  zone: string | null;
  total: number;
  /** Connections by the source that decided their zone; sources with none are left out. */
  bySource: Partial<Record<ZoneSource, number>>;
}

export interface ZonesResponse {
  zones: string[];
  listeners: Array<{ name: string; zone: string | null }>;
  clients: {
    total: number;
    byZone: ZoneClientCount[];
    connections: ZoneClientView[];
    /** True when there are more connections than listed (the list is capped). */
    connectionsTruncated: boolean;
  };
  bytes: { pairs: ZonePairBytes[]; crossZone: ZoneTrafficSnapshot['crossZone'] };
  decisions: ZoneDecisionCount[];
  routing: ZoneRoutingView;
  peers: PeerState[];
}

const PATH = '/v1/zones';
/** Keeps the answer small with thousands of connections; the counts still cover them all. */
export const MAX_LISTED_CONNECTIONS = 1_000;

/** Builds the GET /v1/zones answer. */
export function zonesResponse(insights: ZoneInsights): ZonesResponse {
  const counts = new Map<string | null, ZoneClientCount>();
  const connections: ZoneClientView[] = [];
  let total = 0;
  for (const c of insights.connections()) {
    total++;
    if (connections.length < MAX_LISTED_CONNECTIONS) connections.push({ ...c });
    let count = counts.get(c.zone);
    if (count === undefined) counts.set(c.zone, (count = { zone: c.zone, total: 0, bySource: {} }));
    count.total++;
    count.bySource[c.source] = (count.bySource[c.source] ?? 0) + 1;
  }
  const byZone = [...counts.values()].sort((a, b) => (a.zone === null ? 1 : b.zone === null ? -1 : a.zone.localeCompare(b.zone)));
  for (const c of byZone) c.bySource = Object.fromEntries(ZONE_SOURCES.filter((s) => c.bySource[s] !== undefined).map((s) => [s, c.bySource[s]]));
  connections.sort((a, b) => a.connId - b.connId);
  const traffic = insights.traffic();
  return {
    zones: [...insights.zones],
    listeners: insights.listeners.map((l) => ({ ...l })),
    clients: { total, byZone, connections, connectionsTruncated: total > connections.length },
    bytes: { pairs: traffic.pairs, crossZone: traffic.crossZone },
    decisions: traffic.decisions,
    routing: { fallbacks: traffic.fallbacks, fetches: traffic.fetches, followerRetries: traffic.followerRetries, remoteLeaders: traffic.remoteLeaders },
    peers: insights.peers?.() ?? [],
  };
}

/** Answers GET /v1/zones; returns false for any other path. */
export function handleZoneRoute(insights: ZoneInsights, req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
  if (path !== PATH && path !== `${PATH}/`) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ error: `${req.method ?? ''} is not allowed on ${PATH}` })}\n`);
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(zonesResponse(insights))}\n`);
  return true;
}
