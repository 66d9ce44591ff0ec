// Certificates for secured devkit clusters and tests, made with Debian's openssl: a CA, a
// server certificate for loopback (SAN localhost and 127.0.0.1) that brokers and Turnout's own
// listeners present, and a client certificate for mTLS. Each comes as PEM (Node, kcat) and as
// a PKCS12 keystore (Kafka's brokers and Java clients); the CA's PEM is the truststore
// (ssl.truststore.type=PEM). Keys are EC P-256: quick to make and to handshake with.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The password of every devkit keystore: these are throwaway loopback certificates. */
export const DEV_STORE_PASSWORD = 'turnout-dev';

const VALID_DAYS = '3650';

export interface CertificateFiles {
  /** The certificate, PEM. */
  certFile: string;
  /** Its private key, PEM (PKCS8, unencrypted). */
  keyFile: string;
  /** Key and certificate chain as a PKCS12 keystore under DEV_STORE_PASSWORD. */
  keystoreFile: string;
}

export interface DevCertificates {
  /** The CA certificate, PEM: what clients and brokers trust. */
  caFile: string;
  caKeyFile: string;
  /** For brokers and Turnout listeners on loopback. */
  server: CertificateFiles;
  /** For clients of an mTLS listener. */
  client: CertificateFiles;
  /** Subject of the client certificate, in Java's RFC 2253 form (the principal a broker derives). */
  clientSubject: string;
}

export interface IssueOptions {
  /** openssl -subj form, e.g. `/O=turnout/OU=clients/CN=alice`. */
  subject: string;
  /** subjectAltName entries, e.g. `DNS:localhost`, `IP:127.0.0.1`. */
  altNames?: readonly string[];
  /** Extended key usage: serverAuth, clientAuth or both. */
  usage: ReadonlyArray<'serverAuth' | 'clientAuth'>;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (apt-get install openssl): secured devkit clusters need it for their certificates');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

async function newKey(keyFile: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
}

/** A self-signed CA certificate and its key. */
export async function createCa(dir: string, subject = '/O=turnout/CN=Turnout devkit CA'): Promise<{ caFile: string; caKeyFile: string }> {
  await mkdir(dir, { recursive: true });
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  await newKey(caKeyFile);
  await openssl([
    'req', '-new', '-x509', '-key', caKeyFile, '-days', VALID_DAYS, '-subj', subject, '-out', caFile,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { caFile, caKeyFile };
}

/** Issues a certificate signed by the CA into `dir/<name>.pem`, `<name>-key.pem` and `<name>.p12`. */
export async function issueCertificate(ca: { caFile: string; caKeyFile: string }, dir: string, name: string, opts: IssueOptions): Promise<CertificateFiles> {
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, `${name}-key.pem`);
  const certFile = join(dir, `${name}.pem`);
  const keystoreFile = join(dir, `${name}.p12`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await newKey(keyFile);
  await openssl(['req', '-new', '-key', keyFile, '-subj', opts.subject, '-out', csr]);
  const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${opts.usage.join(',')}`];
  if (opts.altNames !== undefined && opts.altNames.length > 0) lines.push(`subjectAltName=${opts.altNames.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.caFile, '-CAkey', ca.caKeyFile, '-set_serial', `0x${randomBytes(12).toString('hex')}`,
    '-days', VALID_DAYS, '-extfile', ext, '-out', certFile,
  ]);
  await openssl([
    'pkcs12', '-export', '-in', certFile, '-inkey', keyFile, '-certfile', ca.caFile, '-name', name,
    '-out', keystoreFile, '-passout', `pass:${DEV_STORE_PASSWORD}`,
  ]);
  await Promise.all([rm(csr, { force: true }), rm(ext, { force: true })]);
  return { certFile, keyFile, keystoreFile };
}

export const DEV_CLIENT_SUBJECT = '/O=turnout/OU=clients/CN=turnout-client';

/** A CA, a loopback server certificate and a client certificate in `dir`. */
export async function createDevCertificates(dir: string): Promise<DevCertificates> {
  const ca = await createCa(dir);
  const [server, client] = await Promise.all([
    issueCertificate(ca, dir, 'server', {
      subject: '/O=turnout/OU=servers/CN=localhost',
      altNames: ['DNS:localhost', 'IP:127.0.0.1'],
      usage: ['serverAuth', 'clientAuth'],
    }),
    issueCertificate(ca, dir, 'client', { subject: DEV_CLIENT_SUBJECT, usage: ['clientAuth'] }),
  ]);
  return { ...ca, server, client, clientSubject: 'CN=turnout-client,OU=clients,O=turnout' };
}
