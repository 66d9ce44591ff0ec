import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/policy/config.js';
import { startProxy } from '../../../src/proxy.js';
import { startFakeCluster } from '../routing/fake-kafka.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function configYaml(brokerPort: number, ordersOwner: string): string {
  return `
virtualCluster: { clusterId: tUrNoUtPoLiCyStOrE0000 }
listeners: [{ bindHost: 127.0.0.1, advertisedHost: 127.0.0.1, bootstrapPort: 0, nodePortBase: 0 }]
backends:
  - { name: main, bootstrapServers: ["127.0.0.1:${brokerPort}"] }
domains:
  - { name: orders, owner: ${ordersOwner}, topics: ["orders.*"], backend: main }
admin: { host: 127.0.0.1, port: 0 }
store: { watchFile: false }
`;
}

async function writeConfig(brokerPort: number, ordersOwner: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-proxy-store-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'turnout.yaml');
  await writeFile(file, configYaml(brokerPort, ordersOwner));
  return file;
}

describe('startProxy with a configuration file', () => {
  it('opens the policy store it names, serves /v1/domains and the store health on /readyz, reloads, and closes the store', async () => {
    const cluster = await startFakeCluster(1);
    cleanups.push(cluster.close);
    const file = await writeConfig(cluster.brokers[0].port, 'team-a');
    const proxy = await startProxy(await loadConfigFile(file), { configFile: file, logLevel: 'silent', waitForReadyMs: 5_000 });
    cleanups.push(() => proxy.close());
    const admin = `http://127.0.0.1:${proxy.adminPort}`;

    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { policyStore?: { kind: string } }).policyStore?.kind).toBe('file');
    const listed = (await (await fetch(`${admin}/v1/domains`)).json()) as { domains: Array<{ name: string; owner: string; backend: string }> };
    expect(listed.domains.map((d) => [d.name, d.owner, d.backend])).toEqual([['orders', 'team-a', 'main']]);

    await writeFile(file, configYaml(cluster.brokers[0].port, 'team-b'));
    const store = proxy.policyStore;
    expect(store).not.toBeNull();
    expect((await store!.reload()).changed).toBe(true);
    const relisted = (await (await fetch(`${admin}/v1/domains`)).json()) as { domains: Array<{ owner: string }> };
    expect(relisted.domains[0].owner).toBe('team-b');

    await proxy.close();
    expect(store!.health().ready).toBe(false);
  }, 30_000);

  it('without a configuration file has no policy store and serves no domain API', async () => {
    const cluster = await startFakeCluster(1);
    cleanups.push(cluster.close);
    const proxy = await startProxy(
      {
        virtualCluster: { clusterId: 'c' },
        listeners: [{ bindHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
        backends: [{ name: 'fake', bootstrapServers: [`127.0.0.1:${cluster.brokers[0].port}`] }],
        admin: { host: '127.0.0.1', port: 0 },
      },
      { logLevel: 'silent', waitForReadyMs: 5_000 },
    );
    cleanups.push(() => proxy.close());
    expect(proxy.policyStore).toBeNull();
    expect((await fetch(`http://127.0.0.1:${proxy.adminPort}/v1/domains`)).status).toBe(404);
  }, 30_000);
});
