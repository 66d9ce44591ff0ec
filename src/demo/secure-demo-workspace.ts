// Everything `turnout demo --secure` sets up before Turnout starts, in one folder: Turnout's
// configuration (a TLS listener with SASL SCRAM-SHA-512, authorization on, the orders domain
// granting its producer and consumer, the secured cluster as its backend with Turnout's own
// login), Turnout's listener certificate issued by the cluster's CA, the password Turnout logs
// in to the cluster with, the demo's users written with `turnout users add` into the users
// file the configuration names, and each user's client settings: Java properties files, kcat
// settings and kafkajs options.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaConfig } from 'kafkajs';
import { stringify } from 'yaml';
import { usersAdd } from '../commands/users-command.js';
import { issueCertificate, type ClusterInfo, type DevUser } from '../devkit/index.js';
import type { LogLevel } from '../observability/logger.js';
import type { TurnoutConfigInput } from '../policy/config.js';

/** The secured cluster behind Turnout, as the demo uses it. */
export interface SecureDemoBackend {
  /** Bootstrap servers of its SASL_SSL listener: the only way Turnout reaches it. */
  bootstrapServers: readonly string[];
  kafkaVersion?: string;
  /** How the summary names the cluster ("cluster demo-secure"). */
  label: string;
  /** Its CA: Turnout verifies the brokers with it, and Turnout's listener certificate is issued by it. */
  ca: { caFile: string; caKeyFile: string };
  /** The SASL user Turnout logs in to it as. */
  turnoutUser: DevUser;
  /** A SASL user of its own, for the demo's direct look at what is stored. */
  adminUser: DevUser;
}

/** A devkit cluster with a SASL_SSL listener (`turnout kafka up --security sasl-ssl`) as the demo's backend. */
export function secureDemoBackend(info: ClusterInfo): SecureDemoBackend {
  const security = info.security;
  const saslSsl = security?.bootstrapServers['sasl-ssl'];
  if (security === undefined || saslSsl === undefined) throw new Error(`cluster ${info.cluster} has no SASL_SSL listener (start it with --security sasl-ssl)`);
  return {
    bootstrapServers: saslSsl.split(','),
    kafkaVersion: info.version,
    label: `cluster ${info.cluster}`,
    ca: { caFile: security.certificates.caFile, caKeyFile: security.certificates.caKeyFile },
    turnoutUser: security.users.turnout,
    adminUser: security.users.admin,
  };
}

/** The demo's users, in Turnout's user store, and what each may do. */
export const SECURE_DEMO_USERS = {
  admin: 'demo-admin',
  producer: 'orders-service',
  consumer: 'billing',
  refused: 'analytics',
  grantedLater: 'shipping',
} as const;
export type SecureDemoRole = keyof typeof SECURE_DEMO_USERS;

export const SECURE_DEMO_DOMAIN = { name: 'orders', topicPrefix: 'orders.', groupPrefix: 'orders-' } as const;
export const SECURE_DEMO_MECHANISM = 'SCRAM-SHA-512';
export const SECURE_DEMO_CLUSTER_ID = 'tUrNoUtSeCuReDeMoClUs0';
const BACKEND_NAME = 'demo';

export interface SecureDemoWorkspace {
  dir: string;
  configFile: string;
  /** The CA clients verify Turnout's listener with. */
  caFile: string;
  /** Each role's user name and password. */
  users: Readonly<Record<SecureDemoRole, DevUser>>;
  /** A Java client properties file logging in as the role (--command-config, --consumer.config). */
  javaConfig(role: SecureDemoRole): string;
  /** kcat's settings logging in as the role. */
  kcatSettings(role: SecureDemoRole): string[];
  /** kafkajs's TLS and SASL options logging in as the role, or with `password` instead of its own. */
  kafkajs(role: SecureDemoRole, password?: string): Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** Removes the folder. */
  remove(): Promise<void>;
}

export interface SecureDemoWorkspaceOptions {
  /** Turnout's log level, written into the configuration. */
  logLevel: LogLevel;
  /** Progress lines (the `turnout users add` output among them). */
  log?: (line: string) => void;
}

function turnoutConfig(backend: SecureDemoBackend, files: { certFile: string; keyFile: string; passwordFile: string }, logLevel: LogLevel): TurnoutConfigInput {
  const user = (role: SecureDemoRole): string => `User:${SECURE_DEMO_USERS[role]}`;
  return {
    virtualCluster: { clusterId: SECURE_DEMO_CLUSTER_ID },
    listeners: [
      {
        name: 'secure',
        bindHost: '127.0.0.1',
        advertisedHost: '127.0.0.1',
        bootstrapPort: 0,
        nodePortBase: 0,
        tls: { certFile: files.certFile, keyFile: files.keyFile },
        sasl: { mechanisms: [SECURE_DEMO_MECHANISM], required: true },
      },
    ],
    backends: [
      {
        name: BACKEND_NAME,
        bootstrapServers: [...backend.bootstrapServers],
        tls: { caFile: backend.ca.caFile },
        credentials: { sasl: { mechanism: SECURE_DEMO_MECHANISM, username: backend.turnoutUser.username, passwordFile: files.passwordFile } },
      },
    ],
    domains: [
      {
        name: SECURE_DEMO_DOMAIN.name,
        owner: 'team-orders',
        topics: [`${SECURE_DEMO_DOMAIN.topicPrefix}*`],
        groups: [`${SECURE_DEMO_DOMAIN.groupPrefix}*`],
        backend: BACKEND_NAME,
        access: { producers: [user('producer')], consumers: [user('consumer')] },
      },
    ],
    authorization: { enabled: true, superUsers: [user('admin')] },
    admin: { host: '127.0.0.1', port: 0 },
    logging: { level: logLevel },
  };
}

function javaProperties(caFile: string, user: DevUser): string {
  return [
    'security.protocol=SASL_SSL',
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${caFile}`,
    `sasl.mechanism=${SECURE_DEMO_MECHANISM}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.username}" password="${user.password}";`,
    '',
  ].join('\n');
}

/** Writes the workspace into a new folder under the system's temporary folder. */
export async function createSecureDemoWorkspace(backend: SecureDemoBackend, opts: SecureDemoWorkspaceOptions): Promise<SecureDemoWorkspace> {
  const log = opts.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'turnout-secure-demo-'));
  try {
    const tlsDir = join(dir, 'tls');
    const clientsDir = join(dir, 'clients');
    await mkdir(clientsDir, { recursive: true });
    const cert = await issueCertificate(backend.ca, tlsDir, 'turnout', {
      subject: '/O=turnout/OU=servers/CN=turnout-demo',
      altNames: ['DNS:localhost', 'IP:127.0.0.1'],
      usage: ['serverAuth'],
    });
    const passwordFile = join(dir, 'backend-password');
    await writeFile(passwordFile, `${backend.turnoutUser.password}\n`, { mode: 0o600 });
    const configFile = join(dir, 'turnout.yaml');
    await writeFile(configFile, stringify(turnoutConfig(backend, { certFile: cert.certFile, keyFile: cert.keyFile, passwordFile }, opts.logLevel)));

    const users = {} as Record<SecureDemoRole, DevUser>;
    for (const role of Object.keys(SECURE_DEMO_USERS) as SecureDemoRole[]) {
      const username = SECURE_DEMO_USERS[role];
      const password = randomBytes(12).toString('hex');
      // What `turnout users add NAME --config FILE --password-env VAR` does.
      await usersAdd(username, { config: configFile, mechanism: [SECURE_DEMO_MECHANISM], passwordEnv: 'TURNOUT_DEMO_PASSWORD', env: { TURNOUT_DEMO_PASSWORD: password }, out: (text) => log(`turnout users add: ${text.trimEnd()}`) });
      users[role] = { username, password };
      await writeFile(join(clientsDir, `${username}.properties`), javaProperties(backend.ca.caFile, users[role]), { mode: 0o600 });
    }
    const ca = await readFile(backend.ca.caFile);
    return {
      dir,
      configFile,
      caFile: backend.ca.caFile,
      users,
      javaConfig: (role) => join(clientsDir, `${users[role].username}.properties`),
      kcatSettings: (role) => [
        '-X', 'security.protocol=sasl_ssl',
        '-X', `ssl.ca.location=${backend.ca.caFile}`,
        '-X', `sasl.mechanisms=${SECURE_DEMO_MECHANISM}`,
        '-X', `sasl.username=${users[role].username}`,
        '-X', `sasl.password=${users[role].password}`,
      ],
      kafkajs: (role, password) => ({
        ssl: { ca: [ca] },
        sasl: { mechanism: 'scram-sha-512', username: users[role].username, password: password ?? users[role].password },
      }),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
