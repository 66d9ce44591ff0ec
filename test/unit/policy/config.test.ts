import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/policy/config.js';
import { ConfigError, joinHostPort, parseConfig, parseConfigYaml, splitHostPort } from '../../../src/policy/config.js';

const minimal = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};

function issuesOf(input: unknown): Array<{ path: string; reason: string }> {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills in defaults for a minimal config', () => {
    const c = parseConfig(minimal);
    expect(c.listeners[0]).toMatchObject({ name: 'default', bindHost: '0.0.0.0', advertisedHost: 'localhost' });
    expect(c.limits.maxFrameBytes).toBe(100 * 1024 * 1024);
    expect(c.limits.maxInFlightRequests).toBeGreaterThan(0);
    expect(c.admin).toEqual({ host: '127.0.0.1', port: 9190 });
    expect(c.logging.level).toBe('info');
  });

  it('names the field path of a bad port', () => {
    const issues = issuesOf({ ...minimal, listeners: [{ bootstrapPort: 70000, nodePortBase: 9193 }] });
    expect(issues.map((i) => i.path)).toEqual(['listeners[0].bootstrapPort']);
  });

  it('rejects a bootstrap server without a port', () => {
    const issues = issuesOf({ ...minimal, backends: [{ name: 'main', bootstrapServers: ['localhost'] }] });
    expect(issues[0].path).toBe('backends[0].bootstrapServers[0]');
    expect(issues[0].reason).toMatch(/host:port/);
  });

  it('rejects more than one backend for now', () => {
    const b = { name: 'a', bootstrapServers: ['h:1'] };
    const issues = issuesOf({ ...minimal, backends: [b, { ...b, name: 'b' }] });
    expect(issues[0].path).toBe('backends');
    expect(issues[0].reason).toMatch(/exactly one backend/);
  });

  it('rejects unknown fields, naming them', () => {
    const issues = issuesOf({ ...minimal, limits: { maxFrameByte: 10 } });
    expect(issues[0].path).toBe('limits');
    expect(issues[0].reason).toMatch(/maxFrameByte/);
  });

  it('reports a missing cluster id', () => {
    const issues = issuesOf({ ...minimal, virtualCluster: {} });
    expect(issues[0].path).toBe('virtualCluster.clusterId');
  });

  it('rejects duplicate listener names', () => {
    const l = { name: 'x', bootstrapPort: 1, nodePortBase: 2 };
    const issues = issuesOf({ ...minimal, listeners: [l, { ...l, bootstrapPort: 3 }] });
    expect(issues[0].path).toBe('listeners');
  });

  it('reports YAML syntax errors with the source name', () => {
    expect(() => parseConfigYaml('listeners: [', 'bad.yaml')).toThrow(/bad\.yaml.*not valid YAML/);
  });

  it('splits host:port, including bracketed IPv6', () => {
    expect(splitHostPort('broker-1:9092')).toEqual({ host: 'broker-1', port: 9092 });
    expect(splitHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  });

  it('joins host and port as bootstrap.servers takes them, an IPv6 address in brackets', () => {
    expect(joinHostPort('turnout.internal', 9192)).toBe('turnout.internal:9192');
    expect(joinHostPort('127.0.0.1', 9192)).toBe('127.0.0.1:9192');
    expect(joinHostPort('::1', 9192)).toBe('[::1]:9192');
    expect(joinHostPort('fd00::2', 9192)).toBe('[fd00::2]:9192');
    expect(splitHostPort(joinHostPort('fd00::2', 9192))).toEqual({ host: 'fd00::2', port: 9192 });
  });

  for (const file of ['config/turnout.example.yaml', 'config/local.yaml']) {
    it(`accepts the shipped ${file}`, async () => {
      const c = await loadConfigFile(file);
      expect(c.backends).toHaveLength(1);
      expect(c.listeners[0].bootstrapPort).toBeGreaterThan(0);
    });
  }
});
