import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ZoneMetrics } from '../../../src/observability/zone-metrics.js';

describe('zone routing metrics', () => {
  it('counts fallbacks, fetches by replica kind, follower retries and remote leaders, in the snapshot and on scrape', async () => {
    const registry = new Registry();
    const m = new ZoneMetrics(registry);
    m.fallback('az-d', 'az-c');
    m.fallback('az-d', 'az-c');
    m.fetched('az-b', 'az-b', 'follower', 2, 1000);
    m.fetched('az-b', 'az-b', 'follower', 1, 24);
    m.fetched('az-b', 'az-a', 'leader', 1, 0);
    m.fetched(null, 'az-a', 'leader', 3, 5);
    m.followerRetry('unreachable');
    m.followerRetry('offset_out_of_range');
    m.followerRetry('unreachable');
    m.reportRemoteLeaders(() => [{ domain: 'orders', topic: 'o', partition: 1, leaderZone: 'az-c', producerZones: ['az-a'] }]);

    const s = m.snapshot();
    expect(s.fallbacks).toEqual([{ clientZone: 'az-d', servedZone: 'az-c', connections: 2 }]);
    expect(s.fetches).toEqual([
      { clientZone: 'az-b', brokerZone: 'az-a', replica: 'leader', partitions: 1, recordBytes: 0 },
      { clientZone: 'az-b', brokerZone: 'az-b', replica: 'follower', partitions: 3, recordBytes: 1024 },
      { clientZone: null, brokerZone: 'az-a', replica: 'leader', partitions: 3, recordBytes: 5 },
    ]);
    expect(s.followerRetries).toEqual({ offset_out_of_range: 1, unreachable: 2 });
    expect(s.remoteLeaders).toHaveLength(1);

    const text = await registry.metrics();
    expect(text).toContain('turnout_zone_fallbacks_total{client_zone="az-d",served_zone="az-c"} 2');
    expect(text).toContain('turnout_zone_fetch_partitions_total{client_zone="az-b",broker_zone="az-b",replica="follower"} 3');
    expect(text).toContain('turnout_zone_fetch_bytes_total{client_zone="none",broker_zone="az-a",replica="leader"} 5');
    expect(text).toContain('turnout_follower_fetch_retries_total{reason="unreachable"} 2');
    expect(text).toContain('turnout_remote_leader_partitions{domain="orders"} 1');
  });

  it('answers with no remote leaders when the report fails, rather than failing the scrape', async () => {
    const registry = new Registry();
    const m = new ZoneMetrics(registry);
    m.reportRemoteLeaders(() => {
      throw new Error('policy not loaded');
    });
    expect(m.snapshot().remoteLeaders).toEqual([]);
    expect(await registry.metrics()).toContain('turnout_remote_leader_partitions');
  });
});
