import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigYaml } from '../../../src/policy/config.js';
import { createDemoWorkspace, demoConfig, demoDomains, type DemoBackends } from '../../../src/demo/demo-workspace.js';

const backends: DemoBackends = {
  east: { bootstrapServers: ['127.0.0.1:30140', '127.0.0.1:30141'], label: 'cluster demo-east' },
  west: { bootstrapServers: ['127.0.0.1:30240'], label: 'cluster demo-west' },
};

describe('demoConfig', () => {
  it('is one virtual cluster over both clusters: a listener and a node per zone, racks mapped to zones, two domains', () => {
    const config = parseConfig(demoConfig(backends, { logLevel: 'error', adminTokenFile: '/tmp/token' }), 'demo', { severalBackends: true });
    expect(config.zones).toEqual(['az-a', 'az-b', 'az-c']);
    expect(config.listeners.map((l) => [l.name, l.zone, l.nodes, l.nodeIdBase])).toEqual([
      ['az-a', 'az-a', 1, 1],
      ['az-b', 'az-b', 1, 11],
      ['az-c', 'az-c', 1, 21],
    ]);
    expect(config.backends.map((b) => [b.name, b.bootstrapServers, b.rackZones])).toEqual([
      ['east', ['127.0.0.1:30140', '127.0.0.1:30141'], { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' }],
      ['west', ['127.0.0.1:30240'], { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' }],
    ]);
    expect(config.domains.map((d) => [d.name, d.backend, d.migrationTarget ?? null])).toEqual([
      ['orders', 'east', 'west'],
      ['payments', 'west', null],
    ]);
    expect(config.admin.auth).toEqual({ tokenFile: '/tmp/token', openReads: true });
  });
});

describe('demoDomains', () => {
  it('puts a prefix in front of every name pattern of both domains, so that a run has domains of its own', () => {
    const config = parseConfig(demoConfig(backends, { logLevel: 'error', adminTokenFile: '/tmp/token', domains: demoDomains('it-42-') }), 'demo', { severalBackends: true });
    expect(config.domains.map((d) => [d.name, d.topics, d.groups, d.transactionalIds])).toEqual([
      ['orders', ['it-42-orders.*'], ['it-42-orders-*'], ['it-42-orders-*']],
      ['payments', ['it-42-payments.*'], ['it-42-payments-*'], ['it-42-payments-*']],
    ]);
  });
});

describe('createDemoWorkspace', () => {
  it('writes the configuration and an admin token only its owner may read, and removes them', async () => {
    const ws = await createDemoWorkspace(backends, { logLevel: 'warn' });
    try {
      expect((await readFile(ws.adminTokenFile, 'utf8')).trim()).toBe(ws.adminToken);
      expect(ws.adminToken.length).toBeGreaterThanOrEqual(16);
      const config = parseConfigYaml(await readFile(ws.configFile, 'utf8'), ws.configFile, { severalBackends: true });
      expect(config.admin.auth?.tokenFile).toBe(ws.adminTokenFile);
    } finally {
      await ws.remove();
    }
    await expect(readFile(ws.configFile)).rejects.toThrow();
  });
});
