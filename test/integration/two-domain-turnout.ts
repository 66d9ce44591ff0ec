// One Turnout in front of the rig's main (Kafka 4.1.1) and legacy (3.9.1) clusters, with a
// domain on each: orders (topics, groups and transactional ids starting with one prefix) on
// main, payments (another prefix) on legacy. The multi-backend tests differ only in prefixes,
// cluster id and listener, so they share this.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile, type TurnoutConfigInput } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { mainCluster, useCluster, type ClusterInfo } from './rig.js';
import { TEST_ADMIN_AUTH } from './admin-token.js';

export interface TwoDomainSpec {
  clusterId: string;
  main: ClusterInfo;
  legacy: ClusterInfo;
  /** Prefix of the orders domain's names (on main). */
  orders: string;
  /** Prefix of the payments domain's names (on legacy). */
  payments: string;
  /** Default: Turnout's 3 nodes on 127.0.0.1, ports chosen by the system. */
  listener?: TurnoutConfigInput['listeners'][number];
}

export function twoDomainConfig(spec: TwoDomainSpec): TurnoutConfigInput {
  const domain = (name: string, prefix: string, backend: string): NonNullable<TurnoutConfigInput['domains']>[number] => ({
    name,
    owner: `team-${name}`,
    topics: [`${prefix}*`],
    groups: [`${prefix}*`],
    transactionalIds: [`${prefix}*`],
    backend,
  });
  return {
    virtualCluster: { clusterId: spec.clusterId },
    listeners: [spec.listener ?? { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 3 }],
    backends: [
      { name: 'main', bootstrapServers: spec.main.bootstrapServers.split(',') },
      { name: 'legacy', bootstrapServers: spec.legacy.bootstrapServers.split(',') },
    ],
    domains: [domain('orders', spec.orders, 'main'), domain('payments', spec.payments, 'legacy')],
    admin: { host: '127.0.0.1', port: 0, auth: TEST_ADMIN_AUTH },
  };
}

export function startTwoDomainTurnout(spec: TwoDomainSpec): Promise<ProxyHandle> {
  return startProxy(twoDomainConfig(spec), { logLevel: 'warn', waitForReadyMs: 60_000 });
}

/**
 * Starts Turnout from `config` written to a YAML file of its own (the file store: the domain
 * API writes changes back to it), removed with the proxy when the calling test finishes.
 */
export async function startFromConfigFile(config: TurnoutConfigInput, opts: { logLevel: 'warn' | 'silent'; waitForReadyMs: number }): Promise<ProxyHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-it-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'turnout.yaml');
  await writeFile(file, stringify({ ...config, store: { watchFile: false } }));
  const proxy = await startProxy(await loadConfigFile(file, { severalBackends: true }), { configFile: file, ...opts });
  onTestFinished(() => proxy.close());
  return proxy;
}

/** Turnout over the two rig clusters for a whole test file, and the clusters themselves. */
export interface TwoDomainRig {
  proxy: ProxyHandle;
  main: ClusterInfo;
  legacy: ClusterInfo;
}

/** Starts Turnout over the rig's main and legacy clusters before the file's tests and closes it after them. */
export function twoDomainTurnoutForFile(spec: Omit<TwoDomainSpec, 'main' | 'legacy'>): TwoDomainRig {
  const rig = {} as TwoDomainRig;
  beforeAll(async () => {
    rig.main = mainCluster();
    rig.legacy = await useCluster('legacy');
    rig.proxy = await startTwoDomainTurnout({ ...spec, main: rig.main, legacy: rig.legacy });
  }, 300_000);
  afterAll(async () => {
    await rig.proxy?.close();
  });
  return rig;
}
