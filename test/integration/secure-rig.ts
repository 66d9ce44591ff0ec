// What the tests of Turnout's TLS and SASL share: the rig's secured cluster (role `secure`:
// SASL_SSL with SCRAM and PLAIN, SSL with client certificates required), a backend entry
// that logs in to it as the rig's `turnout` user with a password file, and the client
// settings of Turnout's own TLS listeners for kcat and the Java tools.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSecurityInfo } from '../../src/devkit/index.js';
import type { DevCertificates } from '../../src/devkit/dev-certificates.js';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { expect, onTestFinished } from 'vitest';
import { kcat, useCluster, type ClusterInfo } from './rig.js';

export type BackendInput = TurnoutConfigInput['backends'][number];

export interface SecureCluster {
  cluster: ClusterInfo;
  security: ClusterSecurityInfo;
  /** Bootstrap servers of its SASL_SSL listener. */
  saslSsl: string;
}

/** The rig's secured cluster, started on first use (allow for it in the hook's timeout). */
export async function secureCluster(): Promise<SecureCluster> {
  const cluster = await useCluster('secure');
  const security = cluster.security;
  const saslSsl = security?.bootstrapServers['sasl-ssl'];
  if (security === undefined || saslSsl === undefined) throw new Error(`rig cluster ${cluster.cluster} has no SASL_SSL listener`);
  return { cluster, security, saslSsl };
}

/** A folder of the calling test's (or file's) own, removed with `cleanup`. */
export async function scratchDir(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `turnout-it-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `password` (with a line break, as editors leave it) to `file`. */
export async function writePassword(file: string, password: string): Promise<void> {
  await writeFile(file, `${password}\n`);
}

/** A backend on the secured cluster's SASL_SSL listener, logging in as the rig's `turnout` user. */
export function saslSslBackend(secure: SecureCluster, name: string, passwordFile: string, mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN' = 'SCRAM-SHA-512'): BackendInput {
  return {
    name,
    bootstrapServers: secure.saslSsl.split(','),
    tls: { caFile: secure.security.certificates.caFile },
    credentials: { sasl: { mechanism, username: secure.security.users.turnout.username, passwordFile } },
  };
}

/** kcat's settings for a Turnout TLS listener, with the client certificate when given. */
export function kcatTls(certs: DevCertificates, withClientCert: boolean): string[] {
  const args = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caFile}`];
  if (withClientCert) args.push('-X', `ssl.certificate.location=${certs.client.certFile}`, '-X', `ssl.key.location=${certs.client.keyFile}`);
  return args;
}

/** Java client properties for a Turnout TLS listener (truststore; keystore for mTLS). */
export function javaTls(certs: DevCertificates, storePassword: string, withClientCert: boolean): Record<string, string> {
  const props: Record<string, string> = { 'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caFile };
  if (withClientCert) {
    Object.assign(props, {
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': certs.client.keystoreFile,
      'ssl.keystore.password': storePassword,
      'ssl.key.password': storePassword,
    });
  }
  return props;
}

/** Turnout's readiness as /readyz serves it. */
export async function readyz(proxy: ProxyHandle): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`);
  const body = (await res.json()) as { reasons: string[] };
  return { status: res.status, reasons: body.reasons };
}

/** turnout_backend_auth_failures_total for one backend, over stages, as /metrics serves it. */
export async function backendAuthFailures(proxy: ProxyHandle, backend: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^turnout_backend_auth_failures_total\{([^}]*)\} (\d+)$/gm)) {
    if (m[1].includes(`backend="${backend}"`)) sum += Number(m[2]);
  }
  return sum;
}

/** Closes the proxy when the calling test finishes. */
export function closeAfterTest(proxy: ProxyHandle): ProxyHandle {
  onTestFinished(() => proxy.close());
  return proxy;
}

/** `prefix-0` .. `prefix-(n-1)`: record values a test can find again. */
export function numberedLines(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

/** kcat produces `values` to `bootstrap` (with `settings`, e.g. TLS) and reads the whole topic back. */
export async function kcatRoundTrip(bootstrap: string, topic: string, values: readonly string[], settings: readonly string[] = []): Promise<string[]> {
  const produced = await kcat(['-b', bootstrap, ...settings, '-t', topic, '-P'], { input: `${values.join('\n')}\n`, timeoutMs: 60_000 });
  expect(produced.code, produced.stderr).toBe(0);
  const consumed = await kcat(['-b', bootstrap, ...settings, '-t', topic, '-C', '-e', '-o', 'beginning', '-q'], { timeoutMs: 60_000 });
  expect(consumed.code, consumed.stderr).toBe(0);
  return consumed.stdout.split('\n').filter((l) => l !== '');
}
