import { describe, expect, it } from 'vitest';
import { parseBytesMetrics, turnoutChildConfig } from '../../../bench/turnout-child.js';
import { parseConfigYaml } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';

describe('parseBytesMetrics', () => {
  it('reads the byte counters from /metrics', () => {
    const text = [
      '# HELP turnout_bytes_total Bytes moved, by side (client, upstream) and direction (in, out) as seen from Turnout',
      '# TYPE turnout_bytes_total counter',
      'turnout_bytes_total{side="client",direction="in"} 104857600',
      'turnout_bytes_total{side="client",direction="out"} 2048',
      'turnout_bytes_total{side="upstream",direction="in"} 1.5e+3',
      'turnout_bytes_total{side="upstream",direction="out"} 104857000',
      'turnout_active_connections{side="client"} 3',
    ].join('\n');
    expect(parseBytesMetrics(text)).toEqual({ 'client/in': 104_857_600, 'client/out': 2_048, 'upstream/in': 1_500, 'upstream/out': 104_857_000 });
  });
});

describe('turnoutChildConfig', () => {
  const ports = { bootstrapPort: 40_001, adminPort: 40_002 };

  it('puts Turnout in front of one cluster', () => {
    const config = parseConfigYaml(turnoutChildConfig([{ name: 'bench', bootstrapServers: ['127.0.0.1:21840', '127.0.0.1:21841'] }], ports));
    expect(config.backends).toEqual([expect.objectContaining({ name: 'bench', bootstrapServers: ['127.0.0.1:21840', '127.0.0.1:21841'] })]);
    expect(config.domains).toEqual([]);
    expect(config.listeners[0]).toMatchObject({ bootstrapPort: 40_001, nodePortBase: 0 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 40_002 });
  });

  it('gives each of several backends a domain owning the topics with its prefix', () => {
    const text = turnoutChildConfig(
      [
        { name: 'a', bootstrapServers: ['127.0.0.1:21840'], topicPrefix: 'bench-a.' },
        { name: 'b', bootstrapServers: ['127.0.0.1:22840'], topicPrefix: 'bench-b.' },
      ],
      ports,
    );
    const config = parseConfigYaml(text, 'bench', { severalBackends: true });
    expect(config.backends.map((b) => b.name)).toEqual(['a', 'b']);
    const policy = new PolicySnapshot(policyDocumentOf(config), 1, new Map());
    expect(policy.resolve('topic', 'bench-a.tput-x')).toMatchObject({ ok: true, domain: { name: 'a', backend: 'a' } });
    expect(policy.resolve('topic', 'bench-b.tput-x')).toMatchObject({ ok: true, domain: { name: 'b', backend: 'b' } });
    // Only the case's own topics are routed: anything else is refused, not sent to a default.
    expect(policy.resolve('topic', 'bench-tput-x')).toMatchObject({ ok: false });
  });

  it('refuses several backends without topic prefixes', () => {
    expect(() => turnoutChildConfig([{ name: 'a', bootstrapServers: ['h:1'] }, { name: 'b', bootstrapServers: ['h:2'] }], ports)).toThrow(/backend a: a topic prefix is needed/);
  });
});
