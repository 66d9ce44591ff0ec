// Secured devkit clusters (`turnout kafka up --security sasl-ssl,ssl,sasl-plaintext`): each
// broker gets a client listener per protocol asked, beside its PLAINTEXT one, which stays for
// inter-broker traffic and the devkit's own probes. The SASL listeners enable SCRAM-SHA-512,
// SCRAM-SHA-256 and PLAIN; the SSL listener requires a client certificate. Certificates come
// from openssl (dev-certificates.ts) into the cluster's folder; SCRAM users are written at
// format time (kafka-storage format --add-scram), PLAIN users into the listener's JAAS line.
// Two users: `admin` (for tools) and `turnout` (what Turnout logs in as).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevCertificates, DEV_STORE_PASSWORD, type DevCertificates } from './dev-certificates.js';

export const SECURITY_PROTOCOLS = ['sasl-ssl', 'ssl', 'sasl-plaintext'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** Kafka's listener name (and security protocol) for each. */
export const LISTENER_NAMES: Readonly<Record<SecurityProtocol, string>> = {
  'sasl-ssl': 'SASL_SSL',
  ssl: 'SSL',
  'sasl-plaintext': 'SASL_PLAINTEXT',
};

export const SASL_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;
const SCRAM_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

export interface DevUser {
  username: string;
  password: string;
}

/** What a secured cluster's record keeps. */
export interface ClusterSecurityRecord {
  protocols: SecurityProtocol[];
  users: { admin: DevUser; turnout: DevUser };
  certificates: DevCertificates;
  /** Java client properties per protocol (security.protocol, SASL as admin, truststore, keystore for SSL). */
  clientConfigs: Partial<Record<SecurityProtocol, string>>;
}

/** What a secured cluster's description shows clients and tests. */
export interface ClusterSecurityInfo extends ClusterSecurityRecord {
  /** Bootstrap servers of each secured listener. */
  bootstrapServers: Partial<Record<SecurityProtocol, string>>;
  saslMechanisms: readonly string[];
  /** Password of the PKCS12 keystores. */
  storePassword: string;
}

export const DEV_USERS = {
  admin: { username: 'admin', password: 'admin-secret' },
  turnout: { username: 'turnout', password: 'turnout-secret' },
} as const;

/** Parses `sasl-ssl,ssl`; throws naming what is not a protocol. */
export function parseSecurityProtocols(text: string): SecurityProtocol[] {
  const out: SecurityProtocol[] = [];
  for (const part of text.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '')) {
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(part)) {
      throw new Error(`unknown security protocol ${JSON.stringify(part)}: use ${SECURITY_PROTOCOLS.join(', ')}`);
    }
    if (!out.includes(part as SecurityProtocol)) out.push(part as SecurityProtocol);
  }
  return out;
}

function usesSasl(p: SecurityProtocol): boolean {
  return p !== 'ssl';
}

function usesTls(p: SecurityProtocol): boolean {
  return p !== 'sasl-plaintext';
}

function jaasPlain(): string {
  const users = Object.values(DEV_USERS).map((u) => `user_${u.username}="${u.password}"`);
  return `org.apache.kafka.common.security.plain.PlainLoginModule required username="${DEV_USERS.admin.username}" password="${DEV_USERS.admin.password}" ${users.join(' ')};`;
}

/** A secured listener of one broker. */
export interface SecuredListener {
  protocol: SecurityProtocol;
  port: number;
}

/** The broker properties of the secured listeners (the listener list itself is node-config.ts's). */
export function securityProperties(security: ClusterSecurityRecord): Array<[string, string]> {
  const props: Array<[string, string]> = [];
  const { certificates } = security;
  if (security.protocols.some(usesTls)) {
    props.push(
      ['ssl.keystore.type', 'PKCS12'],
      ['ssl.keystore.location', certificates.server.keystoreFile],
      ['ssl.keystore.password', DEV_STORE_PASSWORD],
      ['ssl.key.password', DEV_STORE_PASSWORD],
      ['ssl.truststore.type', 'PEM'],
      ['ssl.truststore.location', certificates.caFile],
    );
  }
  if (security.protocols.some(usesSasl)) props.push(['sasl.enabled.mechanisms', SASL_MECHANISMS.join(',')]);
  for (const protocol of security.protocols) {
    const prefix = `listener.name.${LISTENER_NAMES[protocol].toLowerCase()}`;
    if (protocol === 'ssl') props.push([`${prefix}.ssl.client.auth`, 'required']);
    if (!usesSasl(protocol)) continue;
    props.push([`${prefix}.sasl.enabled.mechanisms`, SASL_MECHANISMS.join(',')]);
    for (const m of SCRAM_MECHANISMS) props.push([`${prefix}.${m.toLowerCase()}.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;']);
    props.push([`${prefix}.plain.sasl.jaas.config`, jaasPlain()]);
  }
  return props;
}

/** `kafka-storage format` arguments that create the SCRAM users. */
export function scramFormatArgs(): string[] {
  const args: string[] = [];
  for (const user of Object.values(DEV_USERS)) {
    for (const m of SCRAM_MECHANISMS) args.push('--add-scram', `${m}=[name=${user.username},password=${user.password}]`);
  }
  return args;
}

/** Java client properties for one protocol, as the admin user (SSL: with the client certificate). */
export function clientProperties(protocol: SecurityProtocol, certificates: DevCertificates): Array<[string, string]> {
  const props: Array<[string, string]> = [['security.protocol', LISTENER_NAMES[protocol]]];
  if (usesTls(protocol)) props.push(['ssl.truststore.type', 'PEM'], ['ssl.truststore.location', certificates.caFile]);
  if (protocol === 'ssl') {
    props.push(
      ['ssl.keystore.type', 'PKCS12'],
      ['ssl.keystore.location', certificates.client.keystoreFile],
      ['ssl.keystore.password', DEV_STORE_PASSWORD],
      ['ssl.key.password', DEV_STORE_PASSWORD],
    );
  }
  if (usesSasl(protocol)) {
    const { username, password } = DEV_USERS.admin;
    props.push(
      ['sasl.mechanism', 'SCRAM-SHA-512'],
      ['sasl.jaas.config', `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`],
    );
  }
  return props;
}

/** Makes the certificates and client property files of a new secured cluster in `dir`. */
export async function createClusterSecurity(dir: string, protocols: readonly SecurityProtocol[], render: (props: Array<[string, string]>, header: string) => string): Promise<ClusterSecurityRecord> {
  await mkdir(dir, { recursive: true });
  const certificates = await createDevCertificates(dir);
  const clientConfigs: Partial<Record<SecurityProtocol, string>> = {};
  for (const protocol of protocols) {
    const file = join(dir, `${protocol}-client.properties`);
    await writeFile(file, render(clientProperties(protocol, certificates), `Java client settings for the ${LISTENER_NAMES[protocol]} listeners, as ${usesSasl(protocol) ? DEV_USERS.admin.username : 'the client certificate'}`));
    clientConfigs[protocol] = file;
  }
  return { protocols: [...protocols], users: { admin: { ...DEV_USERS.admin }, turnout: { ...DEV_USERS.turnout } }, certificates, clientConfigs };
}

/** The description of a secured cluster from its record and its brokers' secured listeners. */
export function securityInfo(security: ClusterSecurityRecord, brokers: ReadonlyArray<{ host: string; secured: readonly SecuredListener[] }>): ClusterSecurityInfo {
  const bootstrapServers: Partial<Record<SecurityProtocol, string>> = {};
  for (const protocol of security.protocols) {
    bootstrapServers[protocol] = brokers
      .flatMap((b) => {
        const listener = b.secured.find((l) => l.protocol === protocol);
        return listener === undefined ? [] : [`${b.host}:${listener.port}`];
      })
      .join(',');
  }
  return { ...security, bootstrapServers, saslMechanisms: security.protocols.some(usesSasl) ? SASL_MECHANISMS : [], storePassword: DEV_STORE_PASSWORD };
}
