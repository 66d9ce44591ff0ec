import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/policy/config.js';
import { configIssuesOf } from './config-issues.js';

const base = { virtualCluster: { clusterId: 'c' }, backends: [{ name: 'b', bootstrapServers: ['b:9092'] }] };
const listener = { bootstrapPort: 0, nodePortBase: 0 };

describe('authentication configuration', () => {
  it("defaults to Kafka's behaviour: no session limit, 100 ms before a failed login closes, 30 s to log in", () => {
    const c = parseConfig({ ...base, listeners: [listener] });
    expect(c.authentication).toEqual({ maxSessionLifetimeMs: 0, failedLoginDelayMs: 100, loginTimeoutMs: 30_000 });
    expect(c.listeners[0].sasl).toBeUndefined();
  });

  it('requires a login on a SASL listener unless told otherwise', () => {
    const c = parseConfig({ ...base, listeners: [{ ...listener, sasl: { mechanisms: ['SCRAM-SHA-512', 'PLAIN'] } }] });
    expect(c.listeners[0].sasl).toEqual({ mechanisms: ['SCRAM-SHA-512', 'PLAIN'], required: true });
  });

  it('names the field of an unknown, repeated or missing mechanism', () => {
    expect(configIssuesOf({ ...base, listeners: [{ ...listener, sasl: { mechanisms: ['GSSAPI'] } }] })[0].path).toBe('listeners[0].sasl.mechanisms[0]');
    expect(configIssuesOf({ ...base, listeners: [{ ...listener, sasl: { mechanisms: ['PLAIN', 'PLAIN'] } }] })).toEqual([
      { path: 'listeners[0].sasl.mechanisms', reason: 'mechanisms must be unique' },
    ]);
    expect(configIssuesOf({ ...base, listeners: [{ ...listener, sasl: { mechanisms: [] } }] })).toEqual([
      { path: 'listeners[0].sasl.mechanisms', reason: 'needs at least one mechanism' },
    ]);
  });

  it('refuses OAUTHBEARER on a listener without a JWKS to validate tokens against', () => {
    expect(configIssuesOf({ ...base, listeners: [{ ...listener, sasl: { mechanisms: ['OAUTHBEARER'] } }] })).toEqual([
      { path: 'listeners[0].sasl.mechanisms', reason: 'OAUTHBEARER needs authentication.oauthbearer (a JWKS to validate tokens)' },
    ]);
  });

  it('takes exactly one of a JWKS file and a JWKS URL', () => {
    const withOauth = (oauthbearer: object) => ({ ...base, listeners: [{ ...listener, sasl: { mechanisms: ['OAUTHBEARER'] } }], authentication: { oauthbearer } });
    expect(configIssuesOf(withOauth({}))).toEqual([{ path: 'authentication.oauthbearer', reason: 'needs exactly one of jwksFile and jwksUrl' }]);
    expect(configIssuesOf(withOauth({ jwksFile: 'a.json', jwksUrl: 'https://idp/jwks' }))[0].reason).toBe('needs exactly one of jwksFile and jwksUrl');
    expect(configIssuesOf(withOauth({ jwksUrl: 'ftp://idp/jwks' }))[0].path).toBe('authentication.oauthbearer.jwksUrl');
    expect(configIssuesOf(withOauth({ jwksFile: 'a.json', algorithms: ['HS256'] }))[0].path).toBe('authentication.oauthbearer.algorithms[0]');
    expect(parseConfig(withOauth({ jwksUrl: 'https://idp.example/jwks', audience: ['kafka', 'turnout'] })).authentication.oauthbearer).toEqual({
      jwksUrl: 'https://idp.example/jwks',
      audience: ['kafka', 'turnout'],
      principalClaim: 'sub',
      clockToleranceMs: 30_000,
    });
  });
});
