import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/policy/config.js';
import { parseZoneTags, resolveZone, sourceRank, ZONE_SOURCES, ZoneModel, zoneModelOf } from '../../../src/policy/zone-resolver.js';

const model = new ZoneModel({
  zones: ['az-a', 'az-b', 'az-c'],
  listenerZones: [['east', 'az-c']],
  cidrs: [
    ['10.0.0.0/8', 'az-a'],
    ['10.2.0.0/16', 'az-b'],
    ['fd00::/8', 'az-b'],
  ],
  backendRackZones: [
    ['main', { 'rack-1': 'az-a', 'rack-2': 'az-b', shared: 'az-a' }],
    ['legacy', { r2: 'az-b', shared: 'az-c', old: 'zone-gone' }],
  ],
});

describe('parseZoneTags', () => {
  it('finds each tag style anywhere in a comma-separated client.id', () => {
    expect(parseZoneTags('svc,turnout_az=az-b')).toEqual([{ key: 'turnout_az', value: 'az-b' }]);
    expect(parseZoneTags('ws_az=az-a,ws_si=1')).toEqual([{ key: 'ws_az', value: 'az-a' }]);
    expect(parseZoneTags('app=orders,automq_az=az-c,x=y')).toEqual([{ key: 'automq_az', value: 'az-c' }]);
  });

  it('tolerates spaces around separators and keys in any case', () => {
    expect(parseZoneTags('svc , turnout_az = az-b ,x=1')).toEqual([{ key: 'turnout_az', value: 'az-b' }]);
    expect(parseZoneTags('svc TURNOUT_AZ=az-b')).toEqual([{ key: 'turnout_az', value: 'az-b' }]);
    expect(parseZoneTags('a;ws_az=az-a')).toEqual([{ key: 'ws_az', value: 'az-a' }]);
  });

  it('does not match a key that is only the end of a longer one', () => {
    expect(parseZoneTags('myturnout_az=az-a,xws_az=az-b')).toEqual([]);
    expect(parseZoneTags('turnout_azx=az-a')).toEqual([]);
  });

  it('orders several tags turnout_az, ws_az, automq_az, then by position', () => {
    expect(parseZoneTags('automq_az=c,ws_az=b,turnout_az=a,ws_az=b2')).toEqual([
      { key: 'turnout_az', value: 'a' },
      { key: 'ws_az', value: 'b' },
      { key: 'ws_az', value: 'b2' },
      { key: 'automq_az', value: 'c' },
    ]);
  });

  it('keeps an empty value so it can be reported', () => {
    expect(parseZoneTags('turnout_az=,svc')).toEqual([{ key: 'turnout_az', value: '' }]);
  });

  it('finds nothing in a missing or plain client.id', () => {
    expect(parseZoneTags(null)).toEqual([]);
    expect(parseZoneTags('')).toEqual([]);
    expect(parseZoneTags('rdkafka')).toEqual([]);
  });
});

describe('resolveZone', () => {
  const all = { clientId: 'svc,turnout_az=az-a', fetchRackId: 'az-b', remoteAddress: '10.2.0.1', listenerName: 'east' };

  it('prefers a client.id tag, then the fetch rack, then the CIDR map, then the listener', () => {
    expect(resolveZone(model, all)).toMatchObject({ zone: 'az-a', source: 'client-id-tag', evidence: 'turnout_az=az-a' });
    expect(resolveZone(model, { ...all, clientId: 'svc' })).toMatchObject({ zone: 'az-b', source: 'fetch-rack', evidence: 'az-b' });
    expect(resolveZone(model, { ...all, clientId: 'svc', fetchRackId: '' })).toMatchObject({ zone: 'az-b', source: 'cidr', evidence: '10.2.0.0/16' });
    expect(resolveZone(model, { listenerName: 'east', remoteAddress: '192.0.2.1' })).toMatchObject({ zone: 'az-c', source: 'listener', evidence: 'east' });
    expect(resolveZone(model, { listenerName: 'west', remoteAddress: '192.0.2.1' })).toEqual({ zone: null, source: 'none', evidence: null, ignored: [] });
  });

  it('accepts each tag style', () => {
    expect(resolveZone(model, { clientId: 'ws_az=az-c' })).toMatchObject({ zone: 'az-c', source: 'client-id-tag', evidence: 'ws_az=az-c' });
    expect(resolveZone(model, { clientId: 'x,automq_az=az-b' })).toMatchObject({ zone: 'az-b', source: 'client-id-tag', evidence: 'automq_az=az-b' });
  });

  it('ignores a tag naming an unknown zone, with the reason, and falls through to the next tag or source', () => {
    const d = resolveZone(model, { clientId: 'turnout_az=az-x,ws_az=az-b', listenerName: 'east' });
    expect(d).toMatchObject({ zone: 'az-b', source: 'client-id-tag' });
    expect(d.ignored).toEqual([{ source: 'client-id-tag', value: 'turnout_az=az-x', reason: '"az-x" is not a configured zone' }]);

    const fallen = resolveZone(model, { clientId: 'turnout_az=', listenerName: 'east' });
    expect(fallen).toMatchObject({ zone: 'az-c', source: 'listener' });
    expect(fallen.ignored).toEqual([{ source: 'client-id-tag', value: 'turnout_az=', reason: 'empty zone name' }]);
  });

  it('reads a fetch rack as a zone name or as a rack a backend maps to a zone', () => {
    expect(resolveZone(model, { fetchRackId: 'rack-2' })).toMatchObject({ zone: 'az-b', source: 'fetch-rack', evidence: 'rack-2' });
    expect(resolveZone(model, { fetchRackId: 'r2' })).toMatchObject({ zone: 'az-b', source: 'fetch-rack' });
  });

  it('ignores a fetch rack that is unknown, ambiguous across backends, or mapped to an undeclared zone', () => {
    const unknown = resolveZone(model, { fetchRackId: 'rack-9', listenerName: 'east' });
    expect(unknown).toMatchObject({ zone: 'az-c', source: 'listener' });
    expect(unknown.ignored[0]).toMatchObject({ source: 'fetch-rack', value: 'rack-9' });
    expect(unknown.ignored[0].reason).toMatch(/no configured zone and no rack/);
    expect(resolveZone(model, { fetchRackId: 'shared' }).ignored[0].reason).toBe('backends map this rack to different zones (az-a, az-c)');
    expect(resolveZone(model, { fetchRackId: 'old' }).ignored[0].reason).toMatch(/zone-gone, not a configured zone/);
  });

  it('matches IPv4, IPv6 and IPv4-mapped addresses by longest prefix', () => {
    expect(resolveZone(model, { remoteAddress: '10.9.0.1' })).toMatchObject({ zone: 'az-a', evidence: '10.0.0.0/8' });
    expect(resolveZone(model, { remoteAddress: '::ffff:10.2.3.4' })).toMatchObject({ zone: 'az-b', source: 'cidr', evidence: '10.2.0.0/16' });
    expect(resolveZone(model, { remoteAddress: 'fd12::1' })).toMatchObject({ zone: 'az-b', source: 'cidr', evidence: 'fd00::/8' });
  });

  it('resolves to none with an empty model, reporting a tag it could not use', () => {
    const d = resolveZone(ZoneModel.empty(), { clientId: 'turnout_az=az-a', remoteAddress: '10.0.0.1' });
    expect(d.zone).toBeNull();
    expect(d.source).toBe('none');
    expect(d.ignored).toHaveLength(1);
  });
});

describe('sources', () => {
  it('rank in the documented priority order', () => {
    const ranks = ZONE_SOURCES.map(sourceRank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(new Set(ranks).size).toBe(ZONE_SOURCES.length);
  });
});

describe('zoneModelOf', () => {
  it('builds the model from a configuration', () => {
    const config = parseConfig({
      virtualCluster: { clusterId: 'c' },
      zones: ['az-a', 'az-b'],
      listeners: [{ name: 'l1', bootstrapPort: 0, nodePortBase: 0, zone: 'az-b' }, { name: 'l2', bootstrapPort: 0, nodePortBase: 0 }],
      clientZones: { cidrs: { '127.0.0.0/8': 'az-a' } },
      backends: [{ name: 'main', bootstrapServers: ['h:1'], rackZones: { r1: 'az-a' } }],
    });
    const m = zoneModelOf(config);
    expect(m.zones).toEqual(['az-a', 'az-b']);
    expect(m.listenerZone('l1')).toBe('az-b');
    expect(m.listenerZone('l2')).toBeNull();
    expect(m.brokerZone('main', 'r1')).toBe('az-a');
    expect(m.brokerZone('main', 'r2')).toBeNull();
    expect(m.brokerZone('main', null)).toBeNull();
    expect(m.cidrZone('127.0.0.1')?.zone).toBe('az-a');
  });
});
