import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, type TurnoutConfigInput } from '../../../src/policy/config.js';
import { zoneModelOf } from '../../../src/policy/zone-resolver.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};

function withZones(extra: Partial<TurnoutConfigInput>): unknown {
  return { ...base, zones: ['az-a', 'az-b', 'az-c'], ...extra };
}

function issuesOf(input: unknown): Array<{ path: string; reason: string }> {
  try {
    parseConfig(input, 'config', { severalBackends: true });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('zone configuration', () => {
  it('defaults to no zones, no CIDR map and listeners without a zone', () => {
    const c = parseConfig(base);
    expect(c.zones).toEqual([]);
    expect(c.clientZones).toEqual({ cidrs: {} });
    expect(c.listeners[0].zone).toBeUndefined();
  });

  it('accepts zones, a listener zone and IPv4 and IPv6 CIDRs naming declared zones', () => {
    const c = parseConfig(
      withZones({
        listeners: [{ bootstrapPort: 1, nodePortBase: 2, zone: 'az-b' }],
        clientZones: { cidrs: { '10.0.0.0/8': 'az-a', '10.1.0.0/16': 'az-b', '2001:db8::/32': 'az-c', '::ffff:192.168.0.0/112': 'az-a' } },
        backends: [{ name: 'main', bootstrapServers: ['h:1'], rackZones: { 'rack-1': 'az-a' } }],
      }),
    );
    expect(c.listeners[0].zone).toBe('az-b');
    expect(Object.keys(c.clientZones.cidrs)).toHaveLength(4);
  });

  it('names the listener whose zone is not declared', () => {
    const issues = issuesOf(withZones({ listeners: [{ bootstrapPort: 1, nodePortBase: 2, zone: 'az-x' }] }));
    expect(issues).toEqual([{ path: 'listeners[0].zone', reason: 'names no declared zone: "az-x" (declared: az-a, az-b, az-c)' }]);
  });

  it('refuses a listener zone when no zones are declared', () => {
    const issues = issuesOf({ ...base, listeners: [{ bootstrapPort: 1, nodePortBase: 2, zone: 'az-a' }] });
    expect(issues[0].path).toBe('listeners[0].zone');
    expect(issues[0].reason).toMatch(/none declared in zones/);
  });

  it('refuses duplicate, malformed and reserved zone names with their index', () => {
    const issues = issuesOf({ ...base, zones: ['az-a', 'az a', 'az-a', 'none'] });
    expect(issues.map((i) => i.path).sort()).toEqual(['zones[1]', 'zones[2]', 'zones[3]']);
    expect(issues.find((i) => i.path === 'zones[2]')?.reason).toMatch(/listed twice/);
    expect(issues.find((i) => i.path === 'zones[3]')?.reason).toMatch(/reserved/);
  });

  it('names a CIDR that does not parse, one with host bits set and one naming an unknown zone', () => {
    const issues = issuesOf(
      withZones({ clientZones: { cidrs: { '10.0.0.0/33': 'az-a', '10.1.0.0/8': 'az-a', 'fe80::1/10': 'az-b', '192.168.0.0/16': 'az-q', 'not-a-cidr': 'az-a' } } }),
    );
    const byPath = new Map(issues.map((i) => [i.path, i.reason]));
    expect(byPath.get('clientZones.cidrs.10.0.0.0/33')).toMatch(/CIDR range/);
    expect(byPath.get('clientZones.cidrs.10.1.0.0/8')).toBe('has host bits set: the range with this prefix is 10.0.0.0/8');
    expect(byPath.get('clientZones.cidrs.fe80::1/10')).toBe('has host bits set: the range with this prefix is fe80::/10');
    expect(byPath.get('clientZones.cidrs.192.168.0.0/16')).toMatch(/names no declared zone: "az-q"/);
    expect(byPath.get('clientZones.cidrs.not-a-cidr')).toMatch(/CIDR range/);
    expect(issues).toHaveLength(5);
  });

  it('refuses one range written twice with different zones, but not overlapping ranges', () => {
    const issues = issuesOf(
      withZones({ clientZones: { cidrs: { '2001:db8::/32': 'az-a', '2001:0db8:0:0::/32': 'az-b', '2001:db8:1::/48': 'az-c' } } }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('clientZones.cidrs.2001:0db8:0:0::/32');
    expect(issues[0].reason).toMatch(/is the range 2001:db8::\/32 again/);
  });

  it('checks backends\' rackZones against zones once zones are declared', () => {
    const backends = [{ name: 'main', bootstrapServers: ['h:1'], rackZones: { r1: 'az-a', r2: 'zone-z' } }];
    expect(() => parseConfig({ ...base, backends })).not.toThrow();
    const issues = issuesOf(withZones({ backends }));
    expect(issues).toEqual([{ path: 'backends[0].rackZones.r2', reason: 'names no declared zone: "zone-z" (declared: az-a, az-b, az-c)' }]);
  });

  it('rejects unknown fields under clientZones', () => {
    const issues = issuesOf(withZones({ clientZones: { cidr: {} } as never }));
    expect(issues[0].path).toBe('clientZones');
    expect(issues[0].reason).toMatch(/cidr/);
  });

  for (const file of ['config/turnout.example.yaml', 'config/multi-backend.example.yaml', 'config/local.yaml']) {
    it(`${file} documents zones that validate and resolve`, async () => {
      const c = await loadConfigFile(file, { severalBackends: true });
      expect(c.zones.length).toBeGreaterThan(1);
      expect(c.zones).toContain(c.listeners[0].zone);
      const model = zoneModelOf(c);
      expect(model.listenerZone(c.listeners[0].name)).toBe(c.listeners[0].zone);
    });
  }
});
