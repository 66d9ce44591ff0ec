// Zone metrics: how clients' zones were decided, and the bytes Turnout moves to and from
// backend brokers by client zone and broker zone, the cross-zone part of which clouds bill.
//   turnout_client_zone_decisions_total{zone,source}
//   turnout_zone_bytes_total{client_zone,broker_zone,direction}
//   turnout_cross_zone_bytes_total{direction}
// `direction` is to_broker (requests: produce data) or from_broker (responses: fetch data).
// A client without a zone is labelled "none" (no zone may be called that); bytes of such a
// client are counted by zone pair but never as cross-zone, since nobody knows.
import { Counter, type Registry } from 'prom-client';
import type { ZoneSource } from '../policy/zone-resolver.js';
import { NO_ZONE_LABEL } from '../policy/zone-schema.js';

export type ZoneDirection = 'to_broker' | 'from_broker';

/** Bytes between one client zone and one broker zone. */
interface PairCell {
  readonly clientLabel: string;
  readonly brokerZone: string;
  readonly cross: boolean;
  toBrokerBytes: number;
  fromBrokerBytes: number;
}

export interface ZonePairBytes {
  /** null for clients without a zone. */
  clientZone: string | null;
  brokerZone: string;
  crossZone: boolean;
  toBrokerBytes: number;
  fromBrokerBytes: number;
}

export interface ZoneDecisionCount {
  zone: string | null;
  source: ZoneSource;
  count: number;
}

export interface ZoneTrafficSnapshot {
  /** Every zone pair that carried bytes, sorted by client zone then broker zone. */
  pairs: ZonePairBytes[];
  crossZone: { toBrokerBytes: number; fromBrokerBytes: number };
  decisions: ZoneDecisionCount[];
}

// Byte counts are plain numbers on the hot path (a prom-client child's inc hashes its labels
// on every call, some 100 ns); the Prometheus counters are filled from them at scrape time.
export class ZoneMetrics {
  private readonly decisions: Counter<'zone' | 'source'>;
  private readonly crossBytes = { toBroker: 0, fromBroker: 0 };
  /** client zone label → broker zone → cell; two map lookups per count, no string building. */
  private readonly pairs = new Map<string, Map<string, PairCell>>();
  private readonly decisionCounts = new Map<string, ZoneDecisionCount>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      name: 'turnout_client_zone_decisions_total',
      help: 'Client zone decisions (a connection\'s first, and each later change), by zone and by the source that gave it',
      labelNames: ['zone', 'source'],
      registers,
    });
    const pairs = this.pairs;
    new Counter({
      name: 'turnout_zone_bytes_total',
      help: 'Bytes between Turnout and backend brokers, by the client\'s zone, the broker\'s zone and direction (to_broker, from_broker)',
      labelNames: ['client_zone', 'broker_zone', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const byBroker of pairs.values()) {
          for (const c of byBroker.values()) {
            this.labels(c.clientLabel, c.brokerZone, 'to_broker').inc(c.toBrokerBytes);
            this.labels(c.clientLabel, c.brokerZone, 'from_broker').inc(c.fromBrokerBytes);
          }
        }
      },
    });
    const crossBytes = this.crossBytes;
    new Counter({
      name: 'turnout_cross_zone_bytes_total',
      help: 'Bytes between Turnout and a backend broker in another zone than the client\'s, by direction (to_broker, from_broker)',
      labelNames: ['direction'],
      registers,
      // Both directions always present, so a dashboard shows 0 rather than no data.
      collect() {
        this.reset();
        this.labels('to_broker').inc(crossBytes.toBroker);
        this.labels('from_broker').inc(crossBytes.fromBroker);
      },
    });
  }

  /** Counts a decision about a client's zone. */
  decided(zone: string | null, source: ZoneSource): void {
    const label = zone ?? NO_ZONE_LABEL;
    this.decisions.labels(label, source).inc();
    const key = `${label}\u0000${source}`;
    const counted = this.decisionCounts.get(key);
    if (counted === undefined) this.decisionCounts.set(key, { zone, source, count: 1 });
    else counted.count++;
  }

  /**
   * Counts bytes sent to (`to_broker`) or received from (`from_broker`) a backend broker in
   * `brokerZone` on behalf of a client in `clientZone` (null: unknown).
   */
  brokerBytes(clientZone: string | null, brokerZone: string, direction: ZoneDirection, bytes: number): void {
    const cell = this.cell(clientZone, brokerZone);
    if (direction === 'to_broker') {
      cell.toBrokerBytes += bytes;
      if (cell.cross) this.crossBytes.toBroker += bytes;
    } else {
      cell.fromBrokerBytes += bytes;
      if (cell.cross) this.crossBytes.fromBroker += bytes;
    }
  }

  snapshot(): ZoneTrafficSnapshot {
    const pairs: ZonePairBytes[] = [];
    for (const [clientLabel, byBroker] of this.pairs) {
      for (const [brokerZone, c] of byBroker) {
        pairs.push({
          clientZone: clientLabel === NO_ZONE_LABEL ? null : clientLabel,
          brokerZone,
          crossZone: c.cross,
          toBrokerBytes: c.toBrokerBytes,
          fromBrokerBytes: c.fromBrokerBytes,
        });
      }
    }
    pairs.sort((a, b) => compareZones(a.clientZone, b.clientZone) || a.brokerZone.localeCompare(b.brokerZone));
    const decisions = [...this.decisionCounts.values()]
      .map((d) => ({ ...d }))
      .sort((a, b) => compareZones(a.zone, b.zone) || a.source.localeCompare(b.source));
    return { pairs, crossZone: { toBrokerBytes: this.crossBytes.toBroker, fromBrokerBytes: this.crossBytes.fromBroker }, decisions };
  }

  private cell(clientZone: string | null, brokerZone: string): PairCell {
    const clientLabel = clientZone ?? NO_ZONE_LABEL;
    let byBroker = this.pairs.get(clientLabel);
    if (byBroker === undefined) this.pairs.set(clientLabel, (byBroker = new Map()));
    let cell = byBroker.get(brokerZone);
    if (cell === undefined) {
      cell = {
        clientLabel,
        brokerZone,
        cross: clientZone !== null && clientZone !== brokerZone,
        toBrokerBytes: 0,
        fromBrokerBytes: 0,
      };
      byBroker.set(brokerZone, cell);
    }
    return cell;
  }
}

/** Zones by name, clients without a zone last. */
function compareZones(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
