import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../../src/policy/config.js';
import { configIssuesOf } from './config-issues.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};

function parsed(extra: Record<string, unknown>) {
  return parseConfig({ ...base, ...extra }, 'config', { severalBackends: true });
}

describe('authorization configuration', () => {
  it('is off when absent, and fills in every default when present', () => {
    expect(parsed({}).authorization).toBeUndefined();
    expect(parsed({ authorization: {} }).authorization).toEqual({
      enabled: true,
      superUsers: [],
      allowEveryoneIfNoAclFound: false,
      acls: [],
      auditIntervalMs: 60_000,
      decisionCacheSize: 65_536,
    });
  });

  it('reads bindings with host, pattern type and permission defaulted', () => {
    const c = parsed({
      authorization: {
        superUsers: ['User:admin'],
        acls: [
          { resourceType: 'TOPIC', resourceName: 'orders.', patternType: 'PREFIXED', principal: 'User:svc', operation: 'WRITE' },
          { resourceType: 'GROUP', resourceName: '*', principal: 'User:*', host: '10.0.0.1', operation: 'READ', permission: 'DENY' },
        ],
      },
    });
    expect(c.authorization?.acls).toEqual([
      { resourceType: 'TOPIC', resourceName: 'orders.', patternType: 'PREFIXED', principal: 'User:svc', host: '*', operation: 'WRITE', permission: 'ALLOW' },
      { resourceType: 'GROUP', resourceName: '*', patternType: 'LITERAL', principal: 'User:*', host: '10.0.0.1', operation: 'READ', permission: 'DENY' },
    ]);
  });

  it('refuses what a broker would refuse, naming the field', () => {
    const issues = configIssuesOf({
      ...base,
      authorization: {
        superUsers: ['admin'],
        acls: [
          { resourceType: 'CLUSTER', resourceName: 'my-cluster', principal: 'User:a', operation: 'ALTER' },
          { resourceType: 'TOPIC', resourceName: '', principal: 'User:a', operation: 'READ' },
          { resourceType: 'TOPIC', resourceName: 't', principal: 'alice', operation: 'READ' },
          { resourceType: 'TOPIC', resourceName: 't', principal: 'User:a', operation: 'ANY' },
          { resourceType: 'TOPIC', resourceName: 't', principal: 'User:a', operation: 'READ', host: 'client.example.com' },
          { resourceType: 'TOPIC', resourceName: 't', principal: 'User:a', operation: 'READ', patternType: 'MATCH' },
        ],
      },
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'authorization.superUsers[0]',
        'authorization.acls[0]',
        'authorization.acls[1].resourceName',
        'authorization.acls[2].principal',
        'authorization.acls[3].operation',
        'authorization.acls[4].host',
        'authorization.acls[5].patternType',
      ]),
    );
    expect(issues.find((i) => i.path === 'authorization.acls[0]')?.reason).toMatch(/only valid name for the CLUSTER resource is kafka-cluster/);
    expect(issues.find((i) => i.path === 'authorization.acls[4].host')?.reason).toMatch(/IP address/);
  });

  it('reads domains[].access and refuses a principal without a type', () => {
    const domain = { name: 'orders', owner: 'team', topics: ['orders.*'], backend: 'main' };
    const c = parsed({ domains: [{ ...domain, access: { producers: ['User:svc'] } }] });
    expect(c.domains[0].access).toEqual({ owners: [], producers: ['User:svc'], consumers: [] });
    const issues = configIssuesOf({ ...base, domains: [{ ...domain, access: { consumers: ['svc'], readers: ['User:x'] } }] });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['domains[0].access.consumers[0]', 'domains[0].access']));
  });
});

describe('admin.auth', () => {
  it('takes a token from an environment variable or a file, reads closed by default', () => {
    expect(parsed({ admin: { auth: { tokenEnv: 'TURNOUT_ADMIN_TOKEN' } } }).admin.auth).toEqual({ tokenEnv: 'TURNOUT_ADMIN_TOKEN', openReads: false });
    expect(parsed({ admin: { auth: { tokenFile: '/run/secrets/admin', openReads: true } } }).admin.auth).toEqual({ tokenFile: '/run/secrets/admin', openReads: true });
    expect(parsed({}).admin).toEqual({ host: '127.0.0.1', port: 9190 });
  });

  it('needs exactly one source', () => {
    expect(configIssuesOf({ ...base, admin: { auth: {} } })).toEqual([{ path: 'admin.auth', reason: 'set exactly one of tokenEnv and tokenFile' }]);
    expect(configIssuesOf({ ...base, admin: { auth: { tokenEnv: 'A', tokenFile: '/f' } } })).toEqual([
      { path: 'admin.auth', reason: 'set exactly one of tokenEnv and tokenFile' },
    ]);
  });
});

describe('the shipped example', () => {
  it('documents an authorization section and domain access that validate', async () => {
    const c = await loadConfigFile('config/turnout.example.yaml');
    expect(c.authorization).toMatchObject({ enabled: false, superUsers: ['User:turnout-admin'], allowEveryoneIfNoAclFound: false });
    expect(c.authorization?.acls.map((b) => `${b.permission} ${b.principal} ${b.operation} ${b.resourceType} ${b.patternType} ${b.resourceName}`)).toEqual([
      'ALLOW User:billing READ TOPIC PREFIXED payments.',
      'ALLOW User:billing READ GROUP LITERAL billing',
      'DENY User:* ALL TOPIC LITERAL payments.card-numbers',
    ]);
    expect(c.domains[0].access?.producers).toEqual(['User:orders-service']);
  });
});
