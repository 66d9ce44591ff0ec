import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { secureBenchAcls, secureChildConfig, SECURITY_VARIANTS, type SecureBenchIdentity } from '../../../bench/secure-turnout.js';
import { parseConfigYaml } from '../../../src/policy/config.js';

const identity: SecureBenchIdentity = {
  caFile: '/tmp/bench/ca.pem',
  certFile: '/tmp/bench/turnout.pem',
  keyFile: '/tmp/bench/turnout-key.pem',
  user: { username: 'bench', password: 'secret' },
  clientConfig: '/tmp/bench/client.properties',
  probe: { caFile: '/tmp/bench/ca.pem', mechanism: 'SCRAM-SHA-512', username: 'bench', password: 'secret' },
  remove: () => Promise.resolve(),
};
const ports = { bootstrapPort: 40_001, adminPort: 40_002 };

function configOf(variant: (typeof SECURITY_VARIANTS)[number]) {
  return parseConfigYaml(stringify(secureChildConfig(variant, ['127.0.0.1:21840'], ports, identity)));
}

describe('secureChildConfig', () => {
  it('differs between the settings only in the listener security and authorization', () => {
    const [plain, tls, acl] = SECURITY_VARIANTS.map(configOf);
    expect(plain?.listeners[0]?.tls).toBeUndefined();
    expect(plain?.listeners[0]?.sasl).toBeUndefined();
    expect(plain?.authorization?.enabled ?? false).toBe(false);
    expect(tls?.listeners[0]?.tls).toMatchObject({ certFile: identity.certFile, keyFile: identity.keyFile, clientAuth: 'none' });
    expect(tls?.listeners[0]?.sasl).toMatchObject({ mechanisms: ['SCRAM-SHA-512'], required: true });
    expect(tls?.authorization?.enabled ?? false).toBe(false);
    expect(acl?.listeners[0]).toEqual(tls?.listeners[0]);
    expect(acl?.authorization?.enabled).toBe(true);
    expect(acl?.authorization?.superUsers).toEqual([]);
    for (const c of [plain, tls, acl]) {
      expect(c?.backends.map((b) => b.bootstrapServers)).toEqual([['127.0.0.1:21840']]);
      expect(c?.listeners[0]).toMatchObject({ bootstrapPort: 40_001, advertisedHost: '127.0.0.1' });
    }
  });

  it('grants the bench user its topics and groups among other teams bindings, never as a super user', () => {
    const acls = secureBenchAcls('bench');
    const mine = acls.filter((a) => a.principal === 'User:bench');
    expect(mine.map((a) => `${a.resourceType} ${a.resourceName} ${a.operation}`).sort()).toEqual(['GROUP bench-sec- READ', 'TOPIC bench-sec- READ', 'TOPIC bench-sec- WRITE']);
    expect(acls.length).toBeGreaterThan(50);
    expect(configOf('tls-sasl-acl').authorization?.acls).toHaveLength(acls.length);
  });
});
