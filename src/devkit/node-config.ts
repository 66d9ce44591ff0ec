// server.properties for the KRaft nodes of a devkit cluster: one dedicated controller and N
// brokers on loopback, tuned for tests on a small machine (few threads, replication factors
// that fit the broker count, no rebalance delay, rack-aware follower fetching).
//
// Dialects: Kafka 4 uses a dynamic controller quorum (`controller.quorum.bootstrap.servers`,
// controller formatted with --standalone, as its own docs do); Kafka 3.x uses the static
// `controller.quorum.voters` that 3.x deployments being migrated away from typically run.
import { LISTENER_NAMES, scramFormatArgs, securityProperties, type ClusterSecurityRecord, type SecuredListener } from './cluster-security.js';
import { kafkaMajor } from './devkit-paths.js';

export interface NodeEndpoint {
  id: number;
  host: string;
  port: number;
}

export interface NodeConfigInput {
  version: string;
  role: 'broker' | 'controller';
  node: NodeEndpoint;
  /** Only for brokers. */
  rack?: string;
  /**
   * Brokers only: a second address for a REPLICATION listener that the brokers use among
   * themselves (inter.broker.listener.name), so replication and client traffic take
   * different network paths.
   */
  replication?: { host: string; port: number };
  controller: NodeEndpoint;
  /** Folder for the node's log segments / metadata log. */
  dataDir: string;
  /** Number of brokers in the cluster; caps replication factors. */
  brokerCount: number;
  /** Extra or replacing properties (brokers only). */
  overrides?: Readonly<Record<string, string>>;
  /** Brokers of a secured cluster: the cluster's security and this broker's secured client listeners. */
  security?: { record: ClusterSecurityRecord; listeners: readonly SecuredListener[] };
}

/** Whether this version's controller runs a dynamic quorum (KIP-853) in devkit clusters. */
export function usesDynamicQuorum(version: string): boolean {
  return kafkaMajor(version) >= 4;
}

function quorumProperties(version: string, controller: NodeEndpoint): Array<[string, string]> {
  return usesDynamicQuorum(version)
    ? [['controller.quorum.bootstrap.servers', `${controller.host}:${controller.port}`]]
    : [['controller.quorum.voters', `${controller.id}@${controller.host}:${controller.port}`]];
}

function brokerListeners(
  node: NodeEndpoint,
  replication: { host: string; port: number } | undefined,
  secured: readonly SecuredListener[],
): Array<[string, string]> {
  const client = `PLAINTEXT://${node.host}:${node.port}`;
  const more = secured.map((l) => `${LISTENER_NAMES[l.protocol]}://${node.host}:${l.port}`);
  const protocolMap = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...secured.map((l) => `${LISTENER_NAMES[l.protocol]}:${LISTENER_NAMES[l.protocol]}`)];
  if (replication === undefined) {
    const all = [client, ...more].join(',');
    return [
      ['listeners', all],
      ['advertised.listeners', all],
      ['inter.broker.listener.name', 'PLAINTEXT'],
      ['listener.security.protocol.map', protocolMap.join(',')],
    ];
  }
  const all = [client, ...more, `REPLICATION://${replication.host}:${replication.port}`].join(',');
  return [
    ['listeners', all],
    ['advertised.listeners', all],
    ['inter.broker.listener.name', 'REPLICATION'],
    ['listener.security.protocol.map', [...protocolMap, 'REPLICATION:PLAINTEXT'].join(',')],
  ];
}

export function nodeProperties(input: NodeConfigInput): Array<[string, string]> {
  const { version, node, controller } = input;
  const common: Array<[string, string]> = [
    ['node.id', String(node.id)],
    ['controller.listener.names', 'CONTROLLER'],
    ...quorumProperties(version, controller),
    ['log.dirs', input.dataDir],
    ['num.recovery.threads.per.data.dir', '1'],
  ];
  if (input.role === 'controller') {
    return [
      ['process.roles', 'controller'],
      ...common,
      ['listeners', `CONTROLLER://${node.host}:${node.port}`],
      ['advertised.listeners', `CONTROLLER://${node.host}:${node.port}`],
      ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT'],
      ['num.network.threads', '1'],
      ['num.io.threads', '2'],
      ['background.threads', '2'],
    ];
  }
  const rf = String(Math.min(3, input.brokerCount));
  const minIsr = String(Math.min(2, input.brokerCount));
  const props: Array<[string, string]> = [
    ['process.roles', 'broker'],
    ...common,
    ...brokerListeners(node, input.replication, input.security?.listeners ?? []),
    ...(input.security === undefined ? [] : securityProperties(input.security.record)),
  ];
  if (input.rack !== undefined) props.push(['broker.rack', input.rack]);
  props.push(
    ['auto.create.topics.enable', 'true'],
    ['num.partitions', '3'],
    ['default.replication.factor', rf],
    ['offsets.topic.replication.factor', rf],
    ['offsets.topic.num.partitions', '10'],
    ['transaction.state.log.replication.factor', rf],
    ['transaction.state.log.min.isr', minIsr],
    ['transaction.state.log.num.partitions', '10'],
    ['group.initial.rebalance.delay.ms', '0'],
    ['replica.selector.class', 'org.apache.kafka.common.replica.RackAwareReplicaSelector'],
    // Few threads: two clusters of three brokers share two cores with the tests.
    ['num.network.threads', '2'],
    ['num.io.threads', '4'],
    ['num.replica.fetchers', '1'],
    ['background.threads', '4'],
    ['log.cleaner.threads', '1'],
    ['log.cleaner.dedupe.buffer.size', String(16 * 1024 * 1024)],
    // A stopped broker leaves the ISR and is fenced within seconds, not half a minute.
    ['replica.lag.time.max.ms', '10000'],
    ['broker.heartbeat.interval.ms', '1000'],
    ['broker.session.timeout.ms', '6000'],
  );
  if (kafkaMajor(version) >= 4) {
    props.push(
      ['share.coordinator.state.topic.replication.factor', rf],
      ['share.coordinator.state.topic.min.isr', minIsr],
    );
  }
  for (const [key, value] of Object.entries(input.overrides ?? {})) {
    const at = props.findIndex(([k]) => k === key);
    if (at >= 0) props[at] = [key, value];
    else props.push([key, value]);
  }
  return props;
}

/** Java properties text; values here never need escaping beyond backslashes. */
export function renderProperties(props: ReadonlyArray<readonly [string, string]>, header: string): string {
  const lines = [`# ${header}`];
  for (const [key, value] of props) lines.push(`${key}=${value.replace(/\\/g, '\\\\')}`);
  return `${lines.join('\n')}\n`;
}

export function renderNodeConfig(input: NodeConfigInput): string {
  const what = input.role === 'controller' ? 'controller' : `broker ${input.node.id}`;
  return renderProperties(nodeProperties(input), `Generated by turnout for Kafka ${input.version}, ${what}. Rewritten on every start.`);
}

/**
 * Arguments of `kafka-storage format` for a node. A secured cluster's SCRAM users are written
 * into the controller's bootstrap metadata, where the quorum takes them from.
 */
export function storageFormatArgs(version: string, role: 'broker' | 'controller', configFile: string, clusterId: string, security?: ClusterSecurityRecord): string[] {
  const args = ['format', '--config', configFile, '--cluster-id', clusterId, '--ignore-formatted'];
  if (role === 'controller' && usesDynamicQuorum(version)) args.push('--standalone');
  if (role === 'controller' && security !== undefined && security.protocols.some((p) => p !== 'ssl')) args.push(...scramFormatArgs());
  return args;
}

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64 without padding (22 characters),
 * the form `kafka-storage random-uuid` prints. Like Kafka, never one that starts with '-'
 * (a command line would read it as an option) and never all zeros.
 */
export function newClusterId(random: (size: number) => Buffer): string {
  for (;;) {
    const bytes = random(16);
    const id = bytes.toString('base64url');
    if (!id.startsWith('-') && bytes.some((b) => b !== 0)) return id;
  }
}
