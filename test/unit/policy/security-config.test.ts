// The configuration of TLS listeners and of Turnout's identity towards backends: defaults,
// and refusals that name the field.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/policy/config.js';
import { configIssuesOf } from './config-issues.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};

function withListenerTls(tls: Record<string, unknown>): unknown {
  return { ...base, listeners: [{ bootstrapPort: 9192, nodePortBase: 9193, tls }] };
}

function withBackend(extra: Record<string, unknown>): unknown {
  return { ...base, backends: [{ name: 'main', bootstrapServers: ['localhost:9092'], ...extra }] };
}

describe('listener TLS configuration', () => {
  it('defaults to no client authentication and the DEFAULT mapping rule', () => {
    const tls = parseConfig(withListenerTls({ certFile: '/c.pem', keyFile: '/k.pem' })).listeners[0].tls;
    expect(tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem', clientAuth: 'none', principalMappingRules: 'DEFAULT', reloadDebounceMs: 500 });
  });

  it('needs a CA file to verify clients against when it asks for certificates', () => {
    expect(configIssuesOf(withListenerTls({ certFile: '/c.pem', keyFile: '/k.pem', clientAuth: 'required' }))).toEqual([
      { path: 'listeners[0].tls.caFile', reason: 'required with clientAuth required: client certificates are verified against it' },
    ]);
  });

  it('refuses mapping rules Kafka refuses, naming the rule', () => {
    const issues = configIssuesOf(withListenerTls({ certFile: '/c.pem', keyFile: '/k.pem', principalMappingRules: 'RULE:^CN=(.*)$/$1/L/U' }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('listeners[0].tls.principalMappingRules');
    expect(issues[0].reason).toMatch(/unmatched substring: `\/U`/);
  });

  it('refuses an unknown clientAuth and unknown fields', () => {
    expect(configIssuesOf(withListenerTls({ certFile: '/c.pem', keyFile: '/k.pem', clientAuth: 'maybe' })).map((i) => i.path)).toEqual(['listeners[0].tls.clientAuth']);
    expect(configIssuesOf(withListenerTls({ certFile: '/c.pem', keyFile: '/k.pem', keystore: '/x.p12' })).map((i) => i.path)).toEqual(['listeners[0].tls']);
  });
});

describe('backend identity configuration', () => {
  it('accepts TLS with a CA, a client certificate and SASL with a password file', () => {
    const b = parseConfig(
      withBackend({
        tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', serverName: 'kafka.internal' },
        credentials: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'turnout', passwordFile: '/run/secrets/kafka' } },
      }),
    ).backends[0];
    expect(b.tls).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', serverName: 'kafka.internal', insecureSkipVerify: false });
    expect(b.credentials?.sasl.passwordFile).toBe('/run/secrets/kafka');
  });

  it('wants a certificate and its key together', () => {
    expect(configIssuesOf(withBackend({ tls: { certFile: '/c.pem' } }))).toEqual([{ path: 'backends[0].tls.keyFile', reason: 'certFile and keyFile go together' }]);
  });

  it('wants exactly one password source', () => {
    const both = configIssuesOf(withBackend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'u', passwordEnv: 'PW', passwordFile: '/pw' } } }));
    const none = configIssuesOf(withBackend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'u' } } }));
    for (const issues of [both, none]) expect(issues).toEqual([{ path: 'backends[0].credentials.sasl.passwordEnv', reason: 'give exactly one of passwordEnv and passwordFile' }]);
  });

  it('refuses a mechanism it cannot speak', () => {
    expect(configIssuesOf(withBackend({ credentials: { sasl: { mechanism: 'GSSAPI', username: 'u', passwordEnv: 'PW' } } })).map((i) => i.path)).toEqual([
      'backends[0].credentials.sasl.mechanism',
    ]);
  });
});
