// The secured demo's flow (`turnout demo --secure`) against the rig's SASL_SSL cluster: Turnout
// with TLS, SASL SCRAM-SHA-512 and ACLs on its listener logs in to the cluster as itself; the
// permitted producer's records reach kafkajs, kcat and the Java console consumer intact; a
// wrong password and a user without a grant are refused with their clients' errors; an ACL
// added with kafka-acls through Turnout lets a running producer through; and the verdict turns
// to FAILED when a client that must be refused is let through.
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSecureDemoFlow, startSecureDemoProxy } from '../../src/demo/secure-demo-flow.js';
import { formatSecureDemoSummary } from '../../src/demo/secure-demo-summary.js';
import { createSecureDemoWorkspace, secureDemoBackend, SECURE_DEMO_USERS, type SecureDemoBackend, type SecureDemoWorkspace } from '../../src/demo/secure-demo-workspace.js';
import { uniqueName } from './rig.js';
import { secureCluster } from './secure-rig.js';

const RECORDS = 1_500;

let backend: SecureDemoBackend;
const workspaces: SecureDemoWorkspace[] = [];

beforeAll(async () => {
  backend = secureDemoBackend((await secureCluster()).cluster);
}, 300_000);

afterAll(async () => {
  for (const w of workspaces.splice(0)) await w.remove();
});

async function workspace(): Promise<SecureDemoWorkspace> {
  const w = await createSecureDemoWorkspace(backend, { logLevel: 'silent' });
  workspaces.push(w);
  return w;
}

/** Topic and group names of the orders domain (topics orders.*, groups orders-*), unique to the test. */
function names(): { topic: string; shipmentsTopic: string; groupId: string } {
  const id = uniqueName('demo');
  return { topic: `orders.events.${id}`, shipmentsTopic: `orders.shipments.${id}`, groupId: `orders-billing-${id}` };
}

describe('turnout demo --secure flow', () => {
  it('passes: permitted clients get every record, refused ones their errors, an ACL added with kafka-acls lets a running producer through, and Turnout logs in to the cluster as itself', async () => {
    const w = await workspace();
    const proxy = await startSecureDemoProxy(w, { logLevel: 'silent' });
    try {
      const result = await runSecureDemoFlow(proxy, backend, w, { records: RECORDS, ...names(), deleteTopics: true });

      expect(result.clients.map((c) => c.client)).toEqual(['kafkajs', 'kcat', 'Java console consumer']);
      for (const c of result.clients) {
        expect(c.notInstalled, 'kcat is required: run `npm run setup`').toBeUndefined();
        expect(c.error).toBeUndefined();
        expect(c.report).toMatchObject({ expected: RECORDS, received: RECORDS, missing: 0, duplicates: 0, corrupted: 0, outOfOrder: 0, unexpected: 0, ok: true });
      }

      const [wrongPassword, noGrant] = result.refusals;
      expect(wrongPassword).toMatchObject({ client: 'kafkajs', user: SECURE_DEMO_USERS.consumer, expected: 'authentication', ok: true });
      expect(wrongPassword?.error).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
      expect(noGrant).toMatchObject({ client: 'Java console consumer', user: SECURE_DEMO_USERS.refused, expected: 'authorization', ok: true });
      expect(noGrant?.error).toMatch(/org\.apache\.kafka\.common\.errors\.(Topic|Group)AuthorizationException: Not authorized to access/);

      const g = result.liveGrant;
      expect(g.failure).toBeNull();
      expect(g.deniedBefore).toBeGreaterThanOrEqual(3);
      expect(g.allowedBefore).toBe(0);
      expect(g.firstDenial).toContain('Not authorized to access topics');
      expect(g.allowedAfter).toBeGreaterThanOrEqual(5);
      expect(g.deniedAfter).toBe(0);
      expect(g.listed).toBe(`(principal=User:${SECURE_DEMO_USERS.grantedLater}, host=*, operation=WRITE, permissionType=ALLOW)`);
      expect(g.ok).toBe(true);

      const b = result.backendIdentity;
      expect(b.stranger.ok).toBe(true);
      expect(b.stranger.error).toContain('KafkaJSSASLAuthenticationError');
      expect(b.ready).toBe(true);
      expect(b.authFailures).toBe(0);
      expect(b.stored).toEqual([
        { topic: result.topic.name, records: RECORDS, acknowledged: RECORDS },
        { topic: g.topic, records: g.acknowledged, acknowledged: g.acknowledged },
      ]);

      expect(result.security.authentications['SCRAM-SHA-512 success']).toBeGreaterThan(0);
      expect(result.security.authentications['SCRAM-SHA-512 failure']).toBeGreaterThanOrEqual(1);
      expect(result.security.authzDecisions.deny).toBeGreaterThan(0);
      expect(result.ok).toBe(true);

      const summary = formatSecureDemoSummary(result).join('\n');
      expect(summary).toContain('Turnout demo (secure): PASSED');
      expect(summary).toContain(`${RECORDS.toLocaleString('en-US')}/${RECORDS.toLocaleString('en-US')}`);
      expect(summary).toContain(`kafka-acls --bootstrap-server ${proxy.bootstrapServers()} --command-config ${w.javaConfig('admin')} --add`);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('fails when a client that must be refused is let through', async () => {
    const w = await workspace();
    // The orders domain also grants analytics, whom the demo expects to be refused.
    const config = parse(await readFile(w.configFile, 'utf8')) as { domains: Array<{ access: { consumers: string[] } }> };
    config.domains[0]?.access.consumers.push(`User:${SECURE_DEMO_USERS.refused}`);
    await writeFile(w.configFile, stringify(config));
    const proxy = await startSecureDemoProxy(w, { logLevel: 'silent' });
    try {
      const result = await runSecureDemoFlow(proxy, backend, w, { records: 100, ...names(), kcat: false, javaConsole: false, deleteTopics: true });
      expect(result.refusals[1]?.ok).toBe(false);
      expect(result.liveGrant.ok).toBe(true);
      expect(result.ok).toBe(false);
      expect(formatSecureDemoSummary(result).join('\n')).toContain('Turnout demo (secure): FAILED');
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
