// Turnout in front of one secured backend (the rig's `secure` cluster): it logs in over
// SASL_SSL with its own credentials on every connection it opens, while its clients speak
// plaintext to it, kcat and the Java tools alike. A wrong password is reported on /readyz, in
// its metric and the log, never leaves a client waiting, and a fixed password file is taken
// without a restart. The rig's broker ends SASL sessions after a few seconds: Turnout renews
// its logins on the same connections, and a producer runs through several sessions unharmed.
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RIG_CLUSTER_SPECS } from '../../src/devkit/index.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { startTurnout, verifiableProducerEvents } from './acceptance-helpers.js';
import { consumeLines, createTopic, produceLines, startTool, uniqueGroup, waitFor } from './rig.js';
import {
  backendAuthFailures,
  closeAfterTest,
  kcatRoundTrip,
  numberedLines,
  readyz,
  saslSslBackend,
  scratchDir,
  secureCluster,
  writePassword,
  type SecureCluster,
} from './secure-rig.js';

const CLUSTER_ID = 'tUrNoUtSeCuReBaCkEnD00';

let secure: SecureCluster;
let scratch: { dir: string; cleanup: () => Promise<void> };
let passwordFile: string;

beforeAll(async () => {
  secure = await secureCluster();
  scratch = await scratchDir('secure-backend');
  passwordFile = join(scratch.dir, 'password');
  await writePassword(passwordFile, secure.security.users.turnout.password);
}, 300_000);

afterAll(async () => {
  await scratch?.cleanup();
});

/** Failures Turnout counted on its connections to a backend (turnout_upstream_errors_total). */
async function upstreamErrors(proxy: ProxyHandle, backend: string): Promise<number> {
  const metric = await proxy.registry.getSingleMetric('turnout_upstream_errors_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.backend === backend).reduce((sum, v) => sum + v.value, 0);
}

/** Connects to Turnout, sends an ApiVersions request and says whether Turnout answered or closed, within `withinMs`. */
function apiVersionsOutcome(port: number, withinMs: number): Promise<'answered' | 'closed' | 'no answer'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const request = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, withinMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('answered');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

describe('Turnout in front of a SASL_SSL backend', () => {
  it('serves kcat and the Java producer and consumer in plaintext from a backend it logs in to with SCRAM-SHA-512 over TLS', async () => {
    const { proxy } = await startTurnout(CLUSTER_ID, { backends: [saslSslBackend(secure, 'secure', passwordFile)] });
    closeAfterTest(proxy);
    const topic = await createTopic(secure.cluster, { partitions: 2 });
    const bootstrap = proxy.bootstrapServers();

    const fromKcat = numberedLines('kcat', 30);
    expect((await kcatRoundTrip(bootstrap, topic, fromKcat)).sort()).toEqual([...fromKcat].sort());

    const fromJava = numberedLines('java', 30);
    await produceLines(bootstrap, topic, fromJava);
    const consumed = await consumeLines(bootstrap, topic, { count: 60, group: uniqueGroup('secure-java') });
    expect(consumed.sort()).toEqual([...fromKcat, ...fromJava].sort());

    // What Turnout wrote is on the backend itself (read over its PLAINTEXT listener).
    const direct = await consumeLines(secure.cluster, topic, { count: 60 });
    expect(direct.sort()).toEqual([...fromKcat, ...fromJava].sort());

    expect(await backendAuthFailures(proxy, 'secure')).toBe(0);
    expect((await readyz(proxy)).status).toBe(200);
  });

  it('renews its logins before the broker\'s sessions end: a producer runs through several of them without an error', async () => {
    const lifetimeMs = Number(RIG_CLUSTER_SPECS.secure.brokerConfig?.['connections.max.reauth.ms']);
    expect(lifetimeMs).toBeGreaterThan(0);
    const { proxy } = await startTurnout(CLUSTER_ID, { backends: [saslSslBackend(secure, 'secure', passwordFile)] });
    closeAfterTest(proxy);
    const topic = await createTopic(secure.cluster, { partitions: 1 });
    // 20 records a second for three session lifetimes.
    const records = Math.ceil((3 * lifetimeMs) / 50);
    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--throughput', '20', '--max-messages', String(records), '--acks', '-1',
    ]);
    const events = verifiableProducerEvents(producer);
    await events.progress('a producer through three session lifetimes', records, 6 * lifetimeMs + 60_000);
    expect(events.errors).toEqual([]);
    expect(await upstreamErrors(proxy, 'secure')).toBe(0);
    expect(await consumeLines(secure.cluster, topic, { count: records })).toHaveLength(records);
  }, 240_000);

  it.each(['SCRAM-SHA-256', 'PLAIN'] as const)('logs in with %s as well', async (mechanism) => {
    const { proxy } = await startTurnout(CLUSTER_ID, { backends: [saslSslBackend(secure, 'secure', passwordFile, mechanism)] });
    closeAfterTest(proxy);
    const topic = await createTopic(secure.cluster, { partitions: 1 });
    const values = numberedLines(mechanism, 10);
    expect(await kcatRoundTrip(proxy.bootstrapServers(), topic, values)).toEqual(values);
  });

  it('reaches a backend\'s SSL listener with its own client certificate, and reports one that wants a certificate it does not present', async () => {
    const ssl = secure.security.bootstrapServers.ssl?.split(',') ?? [];
    expect(ssl.length).toBeGreaterThan(0);
    const { caFile, client } = secure.security.certificates;
    const { proxy } = await startTurnout(CLUSTER_ID, { backends: [{ name: 'mtls', bootstrapServers: ssl, tls: { caFile, certFile: client.certFile, keyFile: client.keyFile } }] });
    closeAfterTest(proxy);
    const topic = await createTopic(secure.cluster, { partitions: 1 });
    const values = numberedLines('mtls-backend', 10);
    expect(await kcatRoundTrip(proxy.bootstrapServers(), topic, values)).toEqual(values);

    const { proxy: without } = await startTurnout(CLUSTER_ID, { backends: [{ name: 'mtls', bootstrapServers: ssl, tls: { caFile } }] }, { waitForReadyMs: 0 });
    closeAfterTest(without);
    const refused = await waitFor(
      async () => {
        const r = await readyz(without);
        return r.reasons.some((reason) => reason.startsWith("backend mtls refuses Turnout's credentials")) ? r : null;
      },
      { timeoutMs: 30_000, what: '/readyz to report the refused TLS handshake' },
    );
    expect(refused.status).toBe(503);
    const text = await (await fetch(`http://127.0.0.1:${without.adminPort}/metrics`)).text();
    expect(text).toMatch(/^turnout_backend_auth_failures_total\{backend="mtls",stage="tls"\} [1-9]/m);
  });

  it('reports a wrong password on /readyz, in its metric and its log, leaves no client waiting, and takes a fixed password file without a restart', async () => {
    const file = join(scratch.dir, 'changing-password');
    await writePassword(file, 'not-the-password');
    const { proxy, logs } = await startTurnout(
      CLUSTER_ID,
      { backends: [saslSslBackend(secure, 'secure', file)], topology: { refreshIntervalMs: 1_000 } },
      { waitForReadyMs: 0 },
    );
    closeAfterTest(proxy);

    const refused = await waitFor(
      async () => {
        const r = await readyz(proxy);
        return r.reasons.find((reason) => reason.startsWith("backend secure refuses Turnout's credentials")) === undefined ? null : r;
      },
      { timeoutMs: 30_000, what: '/readyz to report the refused credentials' },
    );
    expect(refused.status).toBe(503);
    expect(refused.reasons.join('\n')).toMatch(/SASL_AUTHENTICATION_FAILED|error code 58/);
    expect(await backendAuthFailures(proxy, 'secure')).toBeGreaterThan(0);
    expect(logs.some((l) => l.msg.startsWith("backend refuses Turnout's credentials") && l.backend === 'secure')).toBe(true);

    // Turnout cannot serve this backend yet: a client's connection is closed, not left open.
    expect(await apiVersionsOutcome(proxy.ports().bootstrap, 10_000)).toBe('closed');

    await writePassword(file, secure.security.users.turnout.password);
    await proxy.whenReady(60_000);
    expect((await readyz(proxy)).status).toBe(200);
    const topic = await createTopic(secure.cluster, { partitions: 1 });
    const values = numberedLines('fixed', 5);
    expect(await kcatRoundTrip(proxy.bootstrapServers(), topic, values)).toEqual(values);
  });
});
