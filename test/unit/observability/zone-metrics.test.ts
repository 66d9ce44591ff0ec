import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ZoneMetrics } from '../../../src/observability/zone-metrics.js';

function metricsText(): { zones: ZoneMetrics; text: () => Promise<string> } {
  const registry = new Registry();
  return { zones: new ZoneMetrics(registry), text: () => registry.metrics() };
}

describe('ZoneMetrics', () => {
  it('exports the cross-zone counter at zero before any traffic', async () => {
    const { text } = metricsText();
    const t = await text();
    expect(t).toContain('turnout_cross_zone_bytes_total{direction="to_broker"} 0');
    expect(t).toContain('turnout_cross_zone_bytes_total{direction="from_broker"} 0');
  });

  it('counts bytes by client zone, broker zone and direction, and cross-zone bytes apart', async () => {
    const { zones, text } = metricsText();
    zones.brokerBytes('az-a', 'az-a', 'to_broker', 100);
    zones.brokerBytes('az-a', 'az-b', 'to_broker', 30);
    zones.brokerBytes('az-a', 'az-b', 'from_broker', 700);
    zones.brokerBytes('az-a', 'az-b', 'from_broker', 300);
    const t = await text();
    expect(t).toContain('turnout_zone_bytes_total{client_zone="az-a",broker_zone="az-a",direction="to_broker"} 100');
    expect(t).toContain('turnout_zone_bytes_total{client_zone="az-a",broker_zone="az-b",direction="from_broker"} 1000');
    expect(t).toContain('turnout_cross_zone_bytes_total{direction="to_broker"} 30');
    expect(t).toContain('turnout_cross_zone_bytes_total{direction="from_broker"} 1000');
    expect(zones.snapshot()).toMatchObject({
      pairs: [
        { clientZone: 'az-a', brokerZone: 'az-a', crossZone: false, toBrokerBytes: 100, fromBrokerBytes: 0 },
        { clientZone: 'az-a', brokerZone: 'az-b', crossZone: true, toBrokerBytes: 30, fromBrokerBytes: 1000 },
      ],
      crossZone: { toBrokerBytes: 30, fromBrokerBytes: 1000 },
    });
  });

  it('labels a client without a zone "none" and never counts its bytes as cross-zone', async () => {
    const { zones, text } = metricsText();
    zones.brokerBytes(null, 'az-b', 'to_broker', 55);
    expect(await text()).toContain('turnout_zone_bytes_total{client_zone="none",broker_zone="az-b",direction="to_broker"} 55');
    expect(zones.snapshot().pairs).toEqual([{ clientZone: null, brokerZone: 'az-b', crossZone: false, toBrokerBytes: 55, fromBrokerBytes: 0 }]);
    expect(zones.snapshot().crossZone).toEqual({ toBrokerBytes: 0, fromBrokerBytes: 0 });
  });

  it('counts decisions by zone and source', async () => {
    const { zones, text } = metricsText();
    zones.decided('az-b', 'client-id-tag');
    zones.decided('az-b', 'client-id-tag');
    zones.decided(null, 'none');
    zones.decided('az-a', 'cidr');
    const t = await text();
    expect(t).toContain('turnout_client_zone_decisions_total{zone="az-b",source="client-id-tag"} 2');
    expect(t).toContain('turnout_client_zone_decisions_total{zone="none",source="none"} 1');
    expect(zones.snapshot().decisions).toEqual([
      { zone: 'az-a', source: 'cidr', count: 1 },
      { zone: 'az-b', source: 'client-id-tag', count: 2 },
      { zone: null, source: 'none', count: 1 },
    ]);
  });

  it('hands out snapshots that later counts do not change', () => {
    const { zones } = metricsText();
    zones.decided('az-a', 'listener');
    zones.brokerBytes('az-a', 'az-a', 'to_broker', 1);
    const before = zones.snapshot();
    zones.decided('az-a', 'listener');
    zones.brokerBytes('az-a', 'az-a', 'to_broker', 1);
    expect(before.decisions[0].count).toBe(1);
    expect(before.pairs[0].toBrokerBytes).toBe(1);
  });
});
