// Clients reaching Turnout over TLS: a TLS listener for kcat (security.protocol=ssl) and the
// Java tools (a PEM truststore), an mTLS listener that refuses a client without a certificate
// and serves one with, a renewed listener certificate taken for new connections while a
// client stays connected, and ACLs decided on the principal a client certificate maps to. Certificates come from openssl (the devkit's); the backend is the
// rig's plaintext main cluster.
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificates, DEV_STORE_PASSWORD, issueCertificate, type DevCertificates } from '../../src/devkit/index.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { startTurnout } from './acceptance-helpers.js';
import { consumeLines, createTopic, kafkaTool, kcat, mainCluster, produceLines, startTool, uniqueGroup, uniqueTopic, waitFor } from './rig.js';
import { javaTls, kcatRoundTrip, kcatTls, numberedLines, scratchDir } from './secure-rig.js';

const CLUSTER_ID = 'tUrNoUtTlSlIsTeNeR0000';

let scratch: { dir: string; cleanup: () => Promise<void> };
let certs: DevCertificates;
/** The TLS listener's own certificate files, which the reload test replaces. */
let listenerCert: { certFile: string; keyFile: string };
let proxy: ProxyHandle;

beforeAll(async () => {
  scratch = await scratchDir('tls-listener');
  certs = await createDevCertificates(join(scratch.dir, 'certs'));
  listenerCert = { certFile: join(scratch.dir, 'listener.pem'), keyFile: join(scratch.dir, 'listener-key.pem') };
  await copyFile(certs.server.certFile, listenerCert.certFile);
  await copyFile(certs.server.keyFile, listenerCert.keyFile);
  const loopback = { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 };
  ({ proxy } = await startTurnout(CLUSTER_ID, {
    listeners: [
      { ...loopback, name: 'tls', tls: { ...listenerCert, reloadDebounceMs: 100 } },
      { ...loopback, name: 'mtls', tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: certs.caFile, clientAuth: 'required' } },
    ],
  }));
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await scratch?.cleanup();
});

/** kcat through one of Turnout's TLS listeners: produce `values`, read the topic back. */
function tlsRoundTrip(listener: string, topic: string, values: readonly string[], withClientCert: boolean): Promise<string[]> {
  return kcatRoundTrip(proxy.bootstrapServers(listener), topic, values, kcatTls(certs, withClientCert));
}

/** A Java client properties file for `kafka-topics --command-config`. */
async function javaConfigFile(name: string, props: Record<string, string>): Promise<string> {
  const file = join(scratch.dir, `${name}.properties`);
  await writeFile(file, `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  return file;
}

/** A TLS connection to a listener's bootstrap port, and the certificate Turnout presented. */
function tlsConnect(listener: string): Promise<{ socket: tls.TLSSocket; cert: X509Certificate }> {
  return new Promise((resolve, reject) => {
    readFile(certs.caFile).then((ca) => {
      const socket = tls.connect({ host: '127.0.0.1', port: proxy.ports(listener).bootstrap, ca });
      socket.once('secureConnect', () => resolve({ socket, cert: socket.getPeerX509Certificate() as X509Certificate }));
      socket.once('error', reject);
    }, reject);
  });
}

/** Sends an ApiVersions v0 request on `socket` and resolves once its answer arrives. */
function apiVersions(socket: tls.TLSSocket, correlationId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, correlationId, 0xff, 0xff]);
    socket.once('data', (answer: Buffer) => resolve(answer.readInt32BE(4)));
    socket.once('error', reject);
    socket.write(request);
  });
}

describe('Turnout TLS listeners', () => {
  it('serves kcat over TLS (security.protocol=ssl)', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 2 });
    const values = numberedLines('kcat-tls', 20);
    expect((await tlsRoundTrip('tls', topic, values, false)).sort()).toEqual([...values].sort());
  });

  it('serves the Java producer and consumer with a PEM truststore', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 2 });
    const props = javaTls(certs, DEV_STORE_PASSWORD, false);
    const values = numberedLines('java-tls', 30);
    await produceLines(proxy.bootstrapServers('tls'), topic, values, { props });
    const got = await consumeLines(proxy.bootstrapServers('tls'), topic, { count: values.length, group: uniqueGroup('java-tls'), props });
    expect(got.sort()).toEqual([...values].sort());
  });

  it('with clientAuth required refuses kcat and the Java tools without a client certificate', async () => {
    const bare = await kcat(['-b', proxy.bootstrapServers('mtls'), ...kcatTls(certs, false), '-L', '-m', '10'], { timeoutMs: 60_000 });
    expect(bare.timedOut).toBe(false);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/certificate|SSL|handshake/i);

    const config = await javaConfigFile('mtls-no-cert', { ...javaTls(certs, DEV_STORE_PASSWORD, false), 'default.api.timeout.ms': '20000', 'request.timeout.ms': '10000' });
    const java = await kafkaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers('mtls'), '--command-config', config, '--list'], { timeoutMs: 90_000 });
    expect(java.timedOut).toBe(false);
    expect(java.code).not.toBe(0);
    expect(java.stderr).toMatch(/SslAuthenticationException|SSL handshake failed/);
  });

  it('with clientAuth required serves kcat and the Java tools that present a certificate', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 2 });
    const fromKcat = numberedLines('kcat-mtls', 15);
    expect((await tlsRoundTrip('mtls', topic, fromKcat, true)).sort()).toEqual([...fromKcat].sort());
    const props = javaTls(certs, DEV_STORE_PASSWORD, true);
    const fromJava = numberedLines('java-mtls', 15);
    await produceLines(proxy.bootstrapServers('mtls'), topic, fromJava, { props });
    const got = await consumeLines(proxy.bootstrapServers('mtls'), topic, { count: 30, group: uniqueGroup('java-mtls'), props });
    expect(got.sort()).toEqual([...fromKcat, ...fromJava].sort());
  });

  it('serves a renewed certificate to new connections while a client stays connected', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const props = javaTls(certs, DEV_STORE_PASSWORD, false);
    const consumer = await startTool('kafka-console-consumer', [
      '--bootstrap-server', proxy.bootstrapServers('tls'), '--topic', topic, '--group', uniqueGroup('reload'),
      ...Object.entries(props).flatMap(([k, v]) => ['--consumer-property', `${k}=${v}`]),
    ]);
    const before = numberedLines('before-reload', 5);
    // The consumer joins its group before it reads; records sent meanwhile are read from its start position.
    await waitFor(async () => {
      await tlsRoundTrip('tls', topic, ['probe'], false);
      return consumer.lines.includes('probe');
    }, { timeoutMs: 90_000, what: 'the TLS console consumer to read' });
    await tlsRoundTrip('tls', topic, before, false);
    for (const v of before) await consumer.waitForLine((l) => l === v, 30_000);

    const held = await tlsConnect('tls');
    try {
      expect(await apiVersions(held.socket, 1)).toBe(1);
      const renewed = await issueCertificate({ caFile: certs.caFile, caKeyFile: certs.caKeyFile }, join(scratch.dir, 'renewed'), 'renewed', {
        subject: '/O=turnout/OU=renewed/CN=localhost',
        altNames: ['DNS:localhost', 'IP:127.0.0.1'],
        usage: ['serverAuth'],
      });
      await copyFile(renewed.keyFile, listenerCert.keyFile);
      await copyFile(renewed.certFile, listenerCert.certFile);

      await waitFor(async () => {
        const fresh = await tlsConnect('tls');
        fresh.socket.destroy();
        return fresh.cert.subject.includes('OU=renewed');
      }, { timeoutMs: 30_000, what: 'new connections to get the renewed certificate' });
      expect(held.cert.subject).not.toContain('OU=renewed');
      // The connection from before the reload still works.
      expect(await apiVersions(held.socket, 2)).toBe(2);
    } finally {
      held.socket.destroy();
    }

    // New clients take the renewed certificate; the running consumer goes on reading.
    const after = numberedLines('after-reload', 5);
    await tlsRoundTrip('tls', topic, after, false);
    for (const v of after) await consumer.waitForLine((l) => l === v, 30_000);
    expect(consumer.stderr()).not.toMatch(/SslAuthenticationException|SSL handshake failed/);
  });

  it('decides ACLs on the principal a client certificate maps to, with Kafka\'s mapping rules', async () => {
    const intruder = await issueCertificate({ caFile: certs.caFile, caKeyFile: certs.caKeyFile }, join(scratch.dir, 'intruder'), 'intruder', {
      subject: '/O=turnout/OU=clients/CN=intruder',
      usage: ['clientAuth'],
    });
    const prefix = 'tls-acl-';
    const { proxy: guarded } = await startTurnout(CLUSTER_ID, {
      listeners: [
        {
          bindHost: '127.0.0.1',
          advertisedHost: '127.0.0.1',
          bootstrapPort: 0,
          nodePortBase: 0,
          tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: certs.caFile, clientAuth: 'required', principalMappingRules: 'RULE:^CN=(.*?),OU=clients,.*$/$1/L,DEFAULT' },
        },
      ],
      authorization: {
        enabled: true,
        acls: [
          { resourceType: 'TOPIC', resourceName: prefix, patternType: 'PREFIXED', principal: 'User:turnout-client', operation: 'ALL' },
          { resourceType: 'CLUSTER', resourceName: 'kafka-cluster', principal: 'User:turnout-client', operation: 'IDEMPOTENT_WRITE' },
        ],
      },
    });
    try {
      const topic = await createTopic(mainCluster(), { name: uniqueTopic(prefix), partitions: 1 });
      const values = numberedLines('acl-by-certificate', 5);
      expect(await kcatRoundTrip(guarded.bootstrapServers(), topic, values, kcatTls(certs, true))).toEqual(values);

      const denied = await kcat(
        ['-b', guarded.bootstrapServers(), '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caFile}`, '-X', `ssl.certificate.location=${intruder.certFile}`, '-X', `ssl.key.location=${intruder.keyFile}`, '-t', topic, '-P', '-X', 'message.timeout.ms=10000'],
        { input: 'not-allowed\n', timeoutMs: 60_000 },
      );
      expect(denied.timedOut).toBe(false);
      expect(denied.stderr).toMatch(/[Aa]uthorization failed|TOPIC_AUTHORIZATION_FAILED/);
      expect((await consumeLines(mainCluster(), topic, { count: 6, timeoutMs: 10_000 })).sort()).toEqual([...values].sort());
    } finally {
      await guarded.close();
    }
  });
});
