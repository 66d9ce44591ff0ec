// The zone view the demo shows, read from Turnout's admin API as anyone would (GET /v1/zones):
// the bytes Turnout moved to and from the brokers of both clusters by the client's zone and
// the broker's zone, the part that crossed zones, the records fetched from a replica in the
// client's own zone, and the connected clients by zone.
import type { ZonesResponse } from '../admin/zone-routes.js';
import type { ZonePairBytes } from '../observability/zone-metrics.js';

export interface DemoZoneView {
  zones: string[];
  /** Every zone pair that carried bytes; clientZone null for Turnout's own requests. */
  pairs: ZonePairBytes[];
  crossZone: { toBrokerBytes: number; fromBrokerBytes: number };
  /** Bytes to and from brokers in all, of clients with a zone. */
  total: { toBrokerBytes: number; fromBrokerBytes: number };
  /** Record bytes fetched for clients, by whether the serving broker was in the client's zone. */
  fetchedRecordBytes: { sameZone: number; otherZone: number; fromFollowers: number };
  clientsByZone: Array<{ zone: string | null; connections: number }>;
}

export class ZoneViewError extends Error {
  constructor(readonly adminUrl: string, readonly status: number, body: string) {
    super(`GET ${adminUrl}/v1/zones answered ${status}: ${body.slice(0, 200)}`);
    this.name = 'ZoneViewError';
  }
}

export function demoZoneView(z: ZonesResponse): DemoZoneView {
  const total = { toBrokerBytes: 0, fromBrokerBytes: 0 };
  for (const p of z.bytes.pairs) {
    if (p.clientZone === null) continue;
    total.toBrokerBytes += p.toBrokerBytes;
    total.fromBrokerBytes += p.fromBrokerBytes;
  }
  const fetched = { sameZone: 0, otherZone: 0, fromFollowers: 0 };
  for (const f of z.routing.fetches) {
    if (f.clientZone === null) continue;
    if (f.brokerZone === f.clientZone) fetched.sameZone += f.recordBytes;
    else fetched.otherZone += f.recordBytes;
    if (f.replica === 'follower') fetched.fromFollowers += f.recordBytes;
  }
  return {
    zones: z.zones,
    pairs: z.bytes.pairs,
    crossZone: z.bytes.crossZone,
    total,
    fetchedRecordBytes: fetched,
    clientsByZone: z.clients.byZone.map((c) => ({ zone: c.zone, connections: c.total })),
  };
}

export async function readZoneView(adminUrl: string): Promise<DemoZoneView> {
  const res = await fetch(`${adminUrl}/v1/zones`);
  const text = await res.text();
  if (!res.ok) throw new ZoneViewError(adminUrl, res.status, text);
  return demoZoneView(JSON.parse(text) as ZonesResponse);
}
