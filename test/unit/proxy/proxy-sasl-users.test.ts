// startProxy with SASL listeners: the users of the file beside the YAML, read at each login.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCredentialStore } from '../../../src/auth/file-credential-store.js';
import { deriveScramCredential } from '../../../src/auth/scram-credential.js';
import { createLogger } from '../../../src/observability/logger.js';
import { loadConfigFile } from '../../../src/policy/config.js';
import { startProxy } from '../../../src/proxy.js';
import { startFakeCluster } from '../routing/fake-kafka.js';

const { Kafka, logLevel } = kafkajs;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function configYaml(brokerPort: number): string {
  return `
virtualCluster: { clusterId: tUrNoUtSaSlUsErS000000 }
listeners:
  - { bindHost: 127.0.0.1, advertisedHost: 127.0.0.1, bootstrapPort: 0, nodePortBase: 0, sasl: { mechanisms: [SCRAM-SHA-256] } }
backends: [{ name: main, bootstrapServers: ["127.0.0.1:${brokerPort}"] }]
admin: { host: 127.0.0.1, port: 0 }
authentication: { failedLoginDelayMs: 0 }
`;
}

async function listTopicsAs(bootstrap: string, username: string, password: string): Promise<string[]> {
  const admin = new Kafka({ brokers: [bootstrap], sasl: { mechanism: 'scram-sha-256', username, password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('startProxy with SASL listeners', () => {
  it('logs clients in against the users file beside the YAML, and refuses a user removed from it at the next login', async () => {
    const cluster = await startFakeCluster(1);
    cleanups.push(cluster.close);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-proxy-sasl-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'edge.yaml');
    await writeFile(file, configYaml(cluster.brokers[0].port));
    const users = await FileCredentialStore.open({ file: path.join(dir, 'edge.state', 'users.json'), log: createLogger({ level: 'silent' }), watch: false });
    cleanups.push(() => users.close());
    await users.setUser('alice', { 'SCRAM-SHA-256': await deriveScramCredential('SCRAM-SHA-256', 'pw', 4096) });

    const proxy = await startProxy(await loadConfigFile(file), { configFile: file, logLevel: 'silent', waitForReadyMs: 5_000 });
    cleanups.push(() => proxy.close());
    expect(await listTopicsAs(proxy.bootstrapServers(), 'alice', 'pw')).toEqual(expect.any(Array));
    await expect(listTopicsAs(proxy.bootstrapServers(), 'alice', 'wrong')).rejects.toThrow(/SASL SCRAM SHA256 authentication failed/);
    await users.removeUser('alice');
    await expect(listTopicsAs(proxy.bootstrapServers(), 'alice', 'pw')).rejects.toThrow(/authentication failed/);
  }, 30_000);

  it('refuses to start PLAIN or SCRAM listeners without a configuration file or a credential store', async () => {
    await expect(
      startProxy(
        {
          virtualCluster: { clusterId: 'c' },
          listeners: [{ bootstrapPort: 0, nodePortBase: 0, sasl: { mechanisms: ['PLAIN'] } }],
          backends: [{ name: 'b', bootstrapServers: ['127.0.0.1:1'] }],
        },
        { logLevel: 'silent', waitForReadyMs: 0, admin: false },
      ),
    ).rejects.toThrow('listeners offer PLAIN or SCRAM: start Turnout with its configuration file (for the users) or a credential store');
  });
});
