// The Turnouts of the bench's secured case: the same Turnout in front of the same cluster three
// times, differing only in its listener's security: plaintext with ACLs off; TLS and SASL
// SCRAM-SHA-512 with ACLs off; TLS and SCRAM-SHA-512 with ACLs on (the bench's user granted
// its topics and groups among bindings for other teams). The TLS certificate comes from a CA
// made for the run, the bench's user is written with `turnout users add` into each secured
// child's users file, and one client properties file logs the perf tools in.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { usersAdd } from '../src/commands/users-command.js';
import { createCa, issueCertificate, type DevUser } from '../src/devkit/index.js';
import type { TurnoutConfigInput } from '../src/policy/config.js';
import type { ProbeSecurity } from './produce-probe.js';
import { startTurnoutChildWith, type ChildPorts, type TurnoutChild } from './turnout-child.js';

export const SECURITY_VARIANTS = ['plain', 'tls-sasl', 'tls-sasl-acl'] as const;
export type SecurityVariant = (typeof SECURITY_VARIANTS)[number];

export const VARIANT_LABELS: Readonly<Record<SecurityVariant, string>> = {
  plain: 'plaintext',
  'tls-sasl': 'TLS + SCRAM',
  'tls-sasl-acl': 'TLS + SCRAM + ACLs',
};

const MECHANISM = 'SCRAM-SHA-512';
/** Every topic and group of the secured case starts with this; the bench's user is granted it. */
export const SECURE_BENCH_PREFIX = 'bench-sec-';
/** Bindings for other principals and prefixes beside the bench user's, so that the ACL check looks through a realistic set. */
export const OTHER_TEAMS = 50;

export interface SecureBenchIdentity {
  /** The CA Turnout's listener certificate is issued by (what clients trust). */
  caFile: string;
  certFile: string;
  keyFile: string;
  user: DevUser;
  /** Java client properties logging in to a secured child as the bench's user. */
  clientConfig: string;
  probe: ProbeSecurity;
  remove(): Promise<void>;
}

/** A CA, Turnout's listener certificate for 127.0.0.1, the bench's user and its client settings, in a folder of their own. */
export async function createSecureBenchIdentity(): Promise<SecureBenchIdentity> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-bench-secure-'));
  try {
    const ca = await createCa(dir, '/O=turnout/CN=Turnout bench CA');
    const cert = await issueCertificate(ca, dir, 'turnout', { subject: '/O=turnout/OU=servers/CN=turnout-bench', altNames: ['DNS:localhost', 'IP:127.0.0.1'], usage: ['serverAuth'] });
    const user = { username: 'bench', password: randomBytes(12).toString('hex') };
    const clientConfig = join(dir, 'client.properties');
    await writeFile(
      clientConfig,
      [
        'security.protocol=SASL_SSL',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${ca.caFile}`,
        `sasl.mechanism=${MECHANISM}`,
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.username}" password="${user.password}";`,
        '',
      ].join('\n'),
    );
    return {
      caFile: ca.caFile,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      user,
      clientConfig,
      probe: { caFile: ca.caFile, mechanism: MECHANISM, username: user.username, password: user.password },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

type AclInput = NonNullable<NonNullable<TurnoutConfigInput['authorization']>['acls']>[number];

/** What the bench's user needs (write and read its topics, read its groups), among other teams' bindings. */
export function secureBenchAcls(user: string): AclInput[] {
  const principal = `User:${user}`;
  const acls: AclInput[] = [
    { resourceType: 'TOPIC', resourceName: SECURE_BENCH_PREFIX, patternType: 'PREFIXED', principal, operation: 'WRITE' },
    { resourceType: 'TOPIC', resourceName: SECURE_BENCH_PREFIX, patternType: 'PREFIXED', principal, operation: 'READ' },
    { resourceType: 'GROUP', resourceName: SECURE_BENCH_PREFIX, patternType: 'PREFIXED', principal, operation: 'READ' },
  ];
  for (let i = 0; i < OTHER_TEAMS; i++) {
    acls.push(
      { resourceType: 'TOPIC', resourceName: `team-${i}.`, patternType: 'PREFIXED', principal: `User:svc-${i}`, operation: 'ALL' },
      { resourceType: 'GROUP', resourceName: `team-${i}-`, patternType: 'PREFIXED', principal: `User:svc-${i}`, operation: 'READ' },
    );
  }
  return acls;
}

/** One child's configuration: the same Turnout whatever the variant, but for its listener's security and authorization. */
export function secureChildConfig(variant: SecurityVariant, bootstrapServers: readonly string[], ports: ChildPorts, identity: SecureBenchIdentity): TurnoutConfigInput {
  const secured = variant !== 'plain';
  return {
    virtualCluster: { clusterId: 'tUrNoUtBeNcHsEcUrE0000' },
    listeners: [
      {
        name: 'bench',
        bindHost: '127.0.0.1',
        advertisedHost: '127.0.0.1',
        bootstrapPort: ports.bootstrapPort,
        nodePortBase: 0,
        ...(secured ? { tls: { certFile: identity.certFile, keyFile: identity.keyFile }, sasl: { mechanisms: [MECHANISM], required: true } } : {}),
      },
    ],
    backends: [{ name: 'bench', bootstrapServers: [...bootstrapServers] }],
    ...(variant === 'tls-sasl-acl' ? { authorization: { enabled: true, acls: secureBenchAcls(identity.user.username) } } : {}),
    admin: { host: '127.0.0.1', port: ports.adminPort },
    logging: { level: 'warn' },
  };
}

/** Starts `turnout start` for one variant; a secured one with the bench's user in its users file. */
export function startSecureChild(variant: SecurityVariant, bootstrapServers: readonly string[], identity: SecureBenchIdentity): Promise<TurnoutChild> {
  return startTurnoutChildWith(async (configFile, ports) => {
    await writeFile(configFile, stringify(secureChildConfig(variant, bootstrapServers, ports, identity)));
    if (variant === 'plain') return;
    await usersAdd(identity.user.username, {
      config: configFile,
      mechanism: [MECHANISM],
      passwordEnv: 'TURNOUT_BENCH_PASSWORD',
      env: { TURNOUT_BENCH_PASSWORD: identity.user.password },
      out: () => undefined,
    });
  });
}
