import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/policy/config.js';
import { processCountOf } from '../../../src/policy/processes-schema.js';
import { configIssuesOf } from './config-issues.js';

const oneBackend = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};
const redisStore = { type: 'redis', redis: { url: 'redis://127.0.0.1:6379' } };
const twoBackends = {
  ...oneBackend,
  backends: [
    { name: 'a', bootstrapServers: ['localhost:9092'] },
    { name: 'b', bootstrapServers: ['localhost:9093'] },
  ],
  domains: [{ name: 'orders', owner: 'team', topics: [{ prefix: 'orders.' }], backend: 'a' }],
};

describe('processes', () => {
  it('defaults to one process', () => {
    expect(parseConfig(oneBackend).processes).toBe(1);
  });

  it('accepts a count or auto, and auto means one per core', () => {
    expect(parseConfig({ ...oneBackend, processes: 2 }).processes).toBe(2);
    expect(parseConfig({ ...oneBackend, processes: 'auto' }).processes).toBe('auto');
    expect(processCountOf('auto', 8)).toBe(8);
    expect(processCountOf(3, 8)).toBe(3);
    expect(configIssuesOf({ ...oneBackend, processes: 0 })[0].path).toBe('processes');
  });

  it('runs several processes over one backend on the file store: nothing is written to the state folder', () => {
    expect(parseConfig({ ...oneBackend, processes: 2 }).store.type).toBe('file');
  });

  it('refuses several processes over several backends on the file store, naming Redis', () => {
    const issues = configIssuesOf({ ...twoBackends, processes: 2 });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('processes');
    expect(issues[0].reason).toMatch(/needs store\.type: redis/);
    expect(issues[0].reason).toMatch(/producer ids/);
  });

  it('accepts several processes over several backends on the Redis store', () => {
    expect(parseConfig({ ...twoBackends, processes: 4, store: redisStore }, 'config', { severalBackends: true }).processes).toBe(4);
  });

  it('refuses several processes with ACLs kept in the file store', () => {
    const issues = configIssuesOf({ ...oneBackend, processes: 2, authorization: { enabled: true } });
    expect(issues.map((i) => i.reason).join('\n')).toMatch(/ACL bindings/);
  });

  it('refuses ephemeral listener ports with several processes', () => {
    const issues = configIssuesOf({ ...oneBackend, processes: 2, listeners: [{ bootstrapPort: 0, nodePortBase: 0 }] });
    expect(issues.map((i) => i.path).sort()).toEqual(['listeners[0].bootstrapPort', 'listeners[0].nodePortBase']);
  });
});
