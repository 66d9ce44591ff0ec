// The zone part of the demo's summary: the bytes Turnout moved to and from the brokers of both
// clusters, by the client's zone and the broker's zone, which of them crossed zones (what a
// cloud bills), and how much of what clients fetched came from a replica in their own zone.
import type { DemoZoneView } from './zone-view.js';
import { formatBytes, paint, percent } from './summary-format.js';

export function zoneLines(z: DemoZoneView, color: boolean): string[] {
  const out = ['', 'Bytes by client zone and broker zone (Turnout to and from the brokers of both clusters, GET /v1/zones)'];
  out.push('  client zone  broker zone   to brokers   from brokers');
  for (const p of z.pairs) {
    if (p.clientZone === null) continue;
    const mark = p.crossZone ? paint('  crosses zones', 33, color) : '';
    out.push(`  ${p.clientZone.padEnd(11)}  ${p.brokerZone.padEnd(12)}  ${formatBytes(p.toBrokerBytes).padStart(10)}   ${formatBytes(p.fromBrokerBytes).padStart(12)}${mark}`);
  }
  const own = z.pairs.filter((p) => p.clientZone === null).reduce((n, p) => n + p.toBrokerBytes + p.fromBrokerBytes, 0);
  out.push(
    `  crossed zones: ${formatBytes(z.crossZone.toBrokerBytes)} of ${formatBytes(z.total.toBrokerBytes)} to brokers (${percent(z.crossZone.toBrokerBytes, z.total.toBrokerBytes)}: produce goes to the leader, wherever it is), ` +
      `${formatBytes(z.crossZone.fromBrokerBytes)} of ${formatBytes(z.total.fromBrokerBytes)} from brokers (${percent(z.crossZone.fromBrokerBytes, z.total.fromBrokerBytes)})`,
  );
  const f = z.fetchedRecordBytes;
  const fetched = f.sameZone + f.otherZone;
  out.push(`  records fetched for clients: ${formatBytes(fetched)}, ${percent(f.sameZone, fetched)} from a replica in the client's own zone (${formatBytes(f.fromFollowers)} from followers)`);
  if (own > 0) out.push(`  Turnout's own requests (metadata, offsets, coordinators; no client zone): ${formatBytes(own)}`);
  return out;
}
