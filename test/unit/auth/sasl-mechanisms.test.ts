// The JWT validator (and jose with it) is loaded only when a listener offers OAUTHBEARER.
import { describe, expect, it } from 'vitest';
import { JwtValidator } from '../../../src/auth/jwt-validator.js';
import { createSaslMechanisms, loadJwtValidator } from '../../../src/auth/sasl-mechanisms.js';
import { parseConfig } from '../../../src/policy/config.js';

const noUsers = { credentials: () => Promise.resolve(null) };
const config = parseConfig({
  virtualCluster: { clusterId: 'tUrNoUtSaSlMeChAnIsMs0' },
  listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, sasl: { mechanisms: ['OAUTHBEARER'] } }],
  backends: [{ name: 'main', bootstrapServers: ['127.0.0.1:9092'] }],
  authentication: { oauthbearer: { jwksFile: 'jwks.json' } },
});

describe('SASL mechanisms', () => {
  it('loads the JWT validator for OAUTHBEARER only', async () => {
    expect(await loadJwtValidator(['PLAIN', 'SCRAM-SHA-256'])).toBeUndefined();
    expect(await loadJwtValidator(['PLAIN', 'OAUTHBEARER'])).toBe(JwtValidator);
  });

  it('builds OAUTHBEARER with the validator it is given, and refuses to without one', async () => {
    const base = { enabled: ['OAUTHBEARER' as const], credentials: noUsers, authentication: config.authentication, configDir: '.' };
    expect(() => createSaslMechanisms(base)).toThrow(/JWT validator/);
    const mechanisms = createSaslMechanisms({ ...base, jwtValidator: await loadJwtValidator(['OAUTHBEARER']) });
    expect([...mechanisms.keys()]).toEqual(['OAUTHBEARER']);
  });
});
