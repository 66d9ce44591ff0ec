// A TLS listener on loopback with certificates from openssl (devkit): mTLS admission, the
// TLS facts handed on with each client, and certificate reload under open connections.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createDevCertificates, issueCertificate, type DevCertificates } from '../../../src/devkit/dev-certificates.js';
import { ListenerGroup } from '../../../src/net/listener-group.js';
import { ListenerTlsError } from '../../../src/net/listener-tls.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { TlsPeer } from '../../../src/pipeline/filter.js';
import { parseConfig, type ListenerConfig } from '../../../src/policy/config.js';
import { testCleanups } from './socket-test-kit.js';

const log = createLogger({ level: 'silent' });
let dir: string;
let certs: DevCertificates;
/** A client certificate from a CA the listener does not trust. */
let stranger: { certFile: string; keyFile: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-listener-tls-'));
  certs = await createDevCertificates(join(dir, 'ca'));
  const otherCa = await createCa(join(dir, 'other-ca'), '/CN=Someone else');
  stranger = await issueCertificate(otherCa, join(dir, 'other-ca'), 'stranger', { subject: '/CN=stranger', usage: ['clientAuth'] });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cleanups = testCleanups();

interface Accepted {
  peer: TlsPeer | null;
  socket: net.Socket;
}

/** The listener's own copies of the server files, so a test can replace them. */
async function serverFiles(): Promise<{ certFile: string; keyFile: string }> {
  const own = await mkdtemp(join(dir, 'listener-'));
  const certFile = join(own, 'cert.pem');
  const keyFile = join(own, 'key.pem');
  await copyFile(certs.server.certFile, certFile);
  await copyFile(certs.server.keyFile, keyFile);
  return { certFile, keyFile };
}

async function tlsListener(tlsConfig: Record<string, unknown>): Promise<{ group: ListenerGroup; port: number; accepted: Accepted[] }> {
  const config = parseConfig({
    virtualCluster: { clusterId: 'c' },
    listeners: [{ bindHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, tls: tlsConfig }],
    backends: [{ name: 'b', bootstrapServers: ['127.0.0.1:1'] }],
  });
  const accepted: Accepted[] = [];
  const group = new ListenerGroup(config.listeners[0] as ListenerConfig, (socket, _name, _node, peer) => {
    accepted.push({ peer, socket });
    socket.on('error', () => undefined);
    socket.pipe(socket);
  }, log);
  const port = await group.listenBootstrap();
  cleanups.push(async () => {
    for (const a of accepted) a.socket.destroy();
    await group.close();
  });
  return { group, port, accepted };
}

interface Outcome {
  /** The server certificate the client saw. */
  serverCert?: X509Certificate;
  /** The listener echoed what the client sent. */
  echoed: boolean;
  error?: string;
}

/** Connects, sends a line and waits for its echo or the end of the connection. */
function connect(port: number, client: { certFile?: string; keyFile?: string } = {}, keep?: (s: tls.TLSSocket) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: readFileSync(certs.caFile),
      ...(client.certFile !== undefined ? { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile as string) } : {}),
    });
    let serverCert: X509Certificate | undefined;
    let error: string | undefined;
    const done = (echoed: boolean): void => {
      if (keep !== undefined && echoed) keep(socket);
      else socket.destroy();
      resolve({ serverCert, echoed, ...(error !== undefined ? { error } : {}) });
    };
    socket.once('secureConnect', () => {
      serverCert = socket.getPeerX509Certificate();
      socket.write('ping\n');
    });
    socket.once('data', (d: Buffer) => done(d.toString() === 'ping\n'));
    socket.once('error', (e) => {
      error = e.message;
    });
    socket.once('close', () => done(false));
  });
}

describe('TLS listener', () => {
  it('serves TLS and hands on a client without a certificate as such', async () => {
    const files = await serverFiles();
    const { port, accepted } = await tlsListener({ ...files });
    const outcome = await connect(port);
    expect(outcome.echoed).toBe(true);
    expect(outcome.serverCert?.subject).toContain('CN=localhost');
    expect(accepted.map((a) => a.peer)).toEqual([{ subject: null, authorized: false }]);
  });

  it('with clientAuth required refuses a client without a certificate and admits one with', async () => {
    const files = await serverFiles();
    const { port, accepted } = await tlsListener({ ...files, caFile: certs.caFile, clientAuth: 'required' });
    const without = await connect(port);
    expect(without.echoed).toBe(false);
    const withCert = await connect(port, certs.client);
    expect(withCert.echoed).toBe(true);
    expect(accepted.map((a) => a.peer)).toEqual([{ subject: 'CN=turnout-client,OU=clients,O=turnout', authorized: true }]);
  });

  it('with clientAuth required refuses a certificate from another CA', async () => {
    const files = await serverFiles();
    const { port, accepted } = await tlsListener({ ...files, caFile: certs.caFile, clientAuth: 'required' });
    expect((await connect(port, stranger)).echoed).toBe(false);
    expect(accepted).toEqual([]);
  });

  it('with clientAuth requested admits a client without a certificate but refuses an unverified one', async () => {
    const files = await serverFiles();
    const { port, accepted } = await tlsListener({ ...files, caFile: certs.caFile, clientAuth: 'requested' });
    expect((await connect(port)).echoed).toBe(true);
    expect((await connect(port, stranger)).echoed).toBe(false);
    expect((await connect(port, certs.client)).echoed).toBe(true);
    expect(accepted.map((a) => a.peer)).toEqual([
      { subject: null, authorized: false },
      { subject: 'CN=turnout-client,OU=clients,O=turnout', authorized: true },
    ]);
  });

  it('refuses a verified client whose subject no mapping rule maps', async () => {
    const files = await serverFiles();
    const { port, accepted } = await tlsListener({
      ...files,
      caFile: certs.caFile,
      clientAuth: 'required',
      principalMappingRules: 'RULE:^CN=(.*?),OU=admins.*$/$1/',
    });
    expect((await connect(port, certs.client)).echoed).toBe(false);
    expect(accepted).toEqual([]);
  });

  it('fails at start with the file it cannot read', async () => {
    const files = await serverFiles();
    await expect(tlsListener({ ...files, keyFile: join(dir, 'missing-key.pem') })).rejects.toThrow(ListenerTlsError);
    await expect(tlsListener({ ...files, keyFile: join(dir, 'missing-key.pem') })).rejects.toThrow(/missing-key\.pem/);
  });

  it('fails at start when the key does not belong to the certificate', async () => {
    const files = await serverFiles();
    await expect(tlsListener({ ...files, keyFile: certs.client.keyFile })).rejects.toThrow(/key values mismatch/);
  });

  it('takes a renewed certificate for new connections while an open one carries on', async () => {
    const files = await serverFiles();
    const { group, port } = await tlsListener({ ...files, reloadDebounceMs: 50 });
    let open: tls.TLSSocket | undefined;
    const first = await connect(port, {}, (s) => (open = s));
    cleanups.push(() => void open?.destroy());
    const renewed = await issueCertificate({ caFile: certs.caFile, caKeyFile: certs.caKeyFile }, join(dir, 'renewed'), 'renewed', {
      subject: '/O=turnout/OU=renewed/CN=localhost',
      altNames: ['DNS:localhost', 'IP:127.0.0.1'],
      usage: ['serverAuth'],
    });
    await copyFile(renewed.keyFile, files.keyFile);
    await copyFile(renewed.certFile, files.certFile);
    // The watch reloads on its own; waiting on what new clients see.
    let latest: Outcome | undefined;
    await waitUntilAsync(async () => {
      latest = await connect(port);
      return latest.serverCert?.subject.includes('OU=renewed') === true;
    });
    expect(latest?.echoed).toBe(true);
    expect(latest?.serverCert?.fingerprint256).not.toBe(first.serverCert?.fingerprint256);
    // The connection from before still works on its session.
    const echo = await new Promise<string>((resolve) => {
      open?.once('data', (d: Buffer) => resolve(d.toString()));
      open?.write('still here\n');
    });
    expect(echo).toBe('still here\n');
    expect(await group.tls?.reload()).toBe('unchanged');
  });

  it('keeps the certificate in effect when the new files are broken', async () => {
    const files = await serverFiles();
    const { group, port } = await tlsListener({ ...files, reloadDebounceMs: 60_000 });
    const before = await connect(port);
    await writeFile(files.certFile, '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n');
    expect(await group.tls?.reload()).toBe('kept');
    const after = await connect(port);
    expect(after.echoed).toBe(true);
    expect(after.serverCert?.fingerprint256).toBe(before.serverCert?.fingerprint256);
    // A key that is not the certificate's is refused too.
    await copyFile(certs.server.certFile, files.certFile);
    await copyFile(certs.client.keyFile, files.keyFile);
    expect(await group.tls?.reload()).toBe('kept');
    expect((await connect(port)).echoed).toBe(true);
  });
});

async function waitUntilAsync(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
