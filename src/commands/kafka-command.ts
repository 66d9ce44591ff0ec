// `turnout kafka ...`: real Apache Kafka clusters on loopback for development, tests, the
// demo and the benchmarks. A thin layer over src/devkit, which does the work.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  clusterStatus,
  DEFAULT_KAFKA_VERSION,
  DEFAULT_RACKS,
  ensureKafka,
  KAFKA_TOOLS,
  listClusters,
  parseSecurityProtocols,
  SECURITY_PROTOCOLS,
  spawnKafkaTool,
  startBroker,
  startCluster,
  stopBroker,
  stopCluster,
  TOOLS_KAFKA_VERSION,
  type ClusterInfo,
  type ClusterStatus,
  type SecurityProtocol,
} from '../devkit/index.js';

const DEFAULT_CLUSTER = 'dev';

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
}

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${value}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function progress(line: string): void {
  process.stderr.write(`turnout kafka: ${line}\n`);
}

function printInfo(info: ClusterInfo, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    return;
  }
  const lines = [`cluster ${info.cluster} (Kafka ${info.version}, id ${info.clusterId}) is up`];
  for (const b of info.brokers) lines.push(`  broker ${b.id}  ${b.host}:${b.port}  rack ${b.rack}  pid ${b.pid ?? '-'}`);
  lines.push(`  controller ${info.controller.id}  ${info.controller.host}:${info.controller.port}  pid ${info.controller.pid ?? '-'}`);
  lines.push(`  state ${info.stateDir}`);
  lines.push(`bootstrap servers: ${info.bootstrapServers}${info.security === undefined ? '' : ' (PLAINTEXT, also inter-broker)'}`);
  const security = info.security;
  if (security !== undefined) {
    for (const protocol of security.protocols) {
      lines.push(`${protocol} bootstrap servers: ${security.bootstrapServers[protocol] ?? ''}  (client settings: ${security.clientConfigs[protocol] ?? '-'})`);
    }
    if (security.saslMechanisms.length > 0) {
      const users = Object.values(security.users).map((u) => `${u.username}/${u.password}`).join(', ');
      lines.push(`  SASL ${security.saslMechanisms.join(', ')}; users ${users}`);
    }
    const c = security.certificates;
    lines.push(`  CA ${c.caFile}; client certificate ${c.client.certFile} (key ${c.client.keyFile}, keystore ${c.client.keystoreFile}, password ${security.storePassword})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function securityList(value: string): SecurityProtocol[] {
  try {
    return parseSecurityProtocols(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function printStatus(status: ClusterStatus): void {
  const owner = status.ownerPid === null ? '' : `, owner pid ${status.ownerPid}${status.ownerAlive === true ? '' : ' (gone)'}`;
  const lines = [`cluster ${status.cluster}  Kafka ${status.version}  ${status.healthy ? 'healthy' : 'NOT HEALTHY'}${owner}`];
  lines.push('  node            address            rack      pid       state');
  for (const n of [...status.brokers, status.controller]) {
    const label = n.role === 'controller' ? `controller ${n.id}` : `broker ${n.id}`;
    let state = !n.running ? 'stopped' : n.answers ? 'answers' : `not answering${n.error !== undefined ? ` (${n.error})` : ''}`;
    if (n.role === 'broker' && n.answers && n.sees !== undefined) state += `, sees brokers ${n.sees.join(',')}`;
    lines.push(
      `  ${label.padEnd(15)} ${`${n.host}:${n.port}`.padEnd(18)} ${(n.rack ?? '-').padEnd(9)} ${String(n.pid ?? '-').padEnd(9)} ${state}`,
    );
  }
  lines.push(`  bootstrap ${status.bootstrapServers}`);
  lines.push(`  state ${status.stateDir}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function toolHelp(): string {
  const width = Math.max(...KAFKA_TOOLS.map((t) => t.name.length));
  return [
    '',
    `Tools (Kafka ${TOOLS_KAFKA_VERSION} jars by default; they talk to clusters of any supported version):`,
    ...KAFKA_TOOLS.map((t) => `  ${t.name.padEnd(width)}  ${t.summary}`),
    '',
    'A tool may also be named without the kafka- prefix, with .sh, by its main class\'s',
    'simple name (VerifiableProducer), or by a fully qualified main class.',
    '',
    'Example:',
    '  turnout kafka tool kafka-topics --bootstrap-server 127.0.0.1:20000 --list',
  ].join('\n');
}

export function registerKafkaCommand(program: Command): void {
  // `kafka tool NAME args...` passes every option after NAME to the tool, which commander
  // allows only when options are positional on the parent commands.
  program.enablePositionalOptions();
  const kafka = program
    .command('kafka')
    .description('run real Apache Kafka clusters (KRaft, loopback) and Kafka CLI tools for development and tests')
    .enablePositionalOptions()
    .addHelpText('after', `\nState and downloads live under $TURNOUT_CACHE_DIR (default ~/.cache/turnout).\n${toolHelp()}`);

  kafka
    .command('fetch')
    .description('download Kafka versions into the cache (no network when already there)')
    .argument('[versions...]', 'Kafka versions', [DEFAULT_KAFKA_VERSION])
    .action(async (versions: string[]) => {
      for (const version of versions) {
        const install = await ensureKafka(version, { log: progress });
        process.stdout.write(`Kafka ${version}: ${install.libsDir}\n`);
      }
    });

  kafka
    .command('up')
    .description('start a named cluster (downloading Kafka once into the cache) and wait until it answers')
    .option('--cluster <name>', 'cluster name', DEFAULT_CLUSTER)
    .option('--brokers <n>', 'number of brokers', positiveInt('--brokers'), 3)
    .option('--racks <list>', 'comma-separated racks, assigned to brokers round-robin', DEFAULT_RACKS.join(','))
    .addOption(new Option('--version <version>', 'Kafka version (4.1.1 and 3.9.1 are tested)').default(DEFAULT_KAFKA_VERSION))
    .option('--base-port <port>', 'first broker port (brokers take base..base+N-1, the controller base+N); default: derived from the name', positiveInt('--base-port'))
    .option('--heap-mb <mb>', 'broker JVM heap in MiB', positiveInt('--heap-mb'))
    .option('--set <key=value>', 'extra broker property (repeatable)', keyValue)
    .option('--security <list>', `secured client listeners besides PLAINTEXT, comma-separated: ${SECURITY_PROTOCOLS.join(', ')} (certificates and SCRAM/PLAIN users are made in the cluster's folder)`, securityList)
    .option('--timeout-ms <ms>', 'how long to wait for the cluster to answer', positiveInt('--timeout-ms'), 180_000)
    .option('--json', 'print {cluster, version, bootstrapServers, brokers:[{id,host,port,rack,pid}], ...} as JSON')
    .action(async (opts: { cluster: string; brokers: number; racks: string; version: string; basePort?: number; heapMb?: number; set?: Record<string, string>; security?: SecurityProtocol[]; timeoutMs: number; json?: boolean }) => {
      const info = await startCluster({
        name: opts.cluster,
        brokers: opts.brokers,
        racks: opts.racks.split(',').map((r) => r.trim()).filter((r) => r !== ''),
        version: opts.version,
        readyTimeoutMs: opts.timeoutMs,
        log: progress,
        ...(opts.basePort !== undefined ? { basePort: opts.basePort } : {}),
        ...(opts.heapMb !== undefined ? { heapMb: opts.heapMb } : {}),
        ...(opts.set !== undefined ? { brokerConfig: opts.set } : {}),
        ...(opts.security !== undefined && opts.security.length > 0 ? { security: opts.security } : {}),
      });
      printInfo(info, opts.json === true);
    });

  kafka
    .command('down')
    .description('stop a cluster (SIGTERM, then SIGKILL after a grace period) and remove its state')
    .option('--cluster <name>', 'cluster name', DEFAULT_CLUSTER)
    .option('--all', 'every cluster in the cache')
    .option('--keep', 'keep data and logs; a later `up` restarts the same cluster')
    .option('--timeout-ms <ms>', 'grace period before SIGKILL', positiveInt('--timeout-ms'))
    .action(async (opts: { cluster: string; all?: boolean; keep?: boolean; timeoutMs?: number }) => {
      const names = opts.all === true ? await listClusters() : [opts.cluster];
      for (const name of names) {
        const found = await stopCluster(name, {
          log: progress,
          ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
          ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        });
        if (!found) progress(`no cluster named ${name}`);
      }
    });

  kafka
    .command('status')
    .description('show every cluster (or one): brokers, ports, racks, pids and whether they answer')
    .option('--cluster <name>', 'only this cluster')
    .option('--json', 'print a JSON array of cluster statuses')
    .action(async (opts: { cluster?: string; json?: boolean }) => {
      const names = opts.cluster !== undefined ? [opts.cluster] : await listClusters();
      const statuses: ClusterStatus[] = [];
      for (const name of names) {
        const status = await clusterStatus(name);
        if (status !== undefined) statuses.push(status);
        else if (opts.cluster !== undefined) throw new Error(`no cluster named ${name}`);
      }
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        return;
      }
      if (statuses.length === 0) process.stdout.write('no clusters\n');
      statuses.forEach(printStatus);
    });

  kafka
    .command('stop-broker')
    .description('stop one broker of a running cluster (clean shutdown, or --kill for a crash)')
    .option('--cluster <name>', 'cluster name', DEFAULT_CLUSTER)
    .requiredOption('--broker <id>', 'broker id (1..N)', positiveInt('--broker'))
    .option('--kill', 'SIGKILL instead of a clean shutdown')
    .action(async (opts: { cluster: string; broker: number; kill?: boolean }) => {
      const outcome = await stopBroker(opts.cluster, opts.broker, { kill: opts.kill === true });
      process.stdout.write(`broker ${opts.broker} of ${opts.cluster}: ${outcome}\n`);
    });

  kafka
    .command('start-broker')
    .description('start one stopped broker again and wait until the cluster lists it')
    .option('--cluster <name>', 'cluster name', DEFAULT_CLUSTER)
    .requiredOption('--broker <id>', 'broker id (1..N)', positiveInt('--broker'))
    .option('--timeout-ms <ms>', 'how long to wait for it', positiveInt('--timeout-ms'), 120_000)
    .action(async (opts: { cluster: string; broker: number; timeoutMs: number }) => {
      const b = await startBroker(opts.cluster, opts.broker, { readyTimeoutMs: opts.timeoutMs, log: progress });
      process.stdout.write(`broker ${b.id} of ${opts.cluster}: running, ${b.host}:${b.port}, rack ${b.rack}, pid ${b.pid ?? '-'}\n`);
    });

  kafka
    .command('tool')
    .description('run a Kafka CLI tool from the cached jars; every argument after the name goes to the tool')
    .argument('<name>', 'tool name, e.g. kafka-topics (list below)')
    .argument('[args...]', 'arguments for the tool')
    .option('--kafka-version <version>', 'Kafka version whose tools to run', TOOLS_KAFKA_VERSION)
    .passThroughOptions()
    .addHelpText('after', toolHelp())
    .action(async (name: string, args: string[], opts: { kafkaVersion: string }) => {
      const child = await spawnKafkaTool(name, args, { version: opts.kafkaVersion, stdio: 'inherit', log: progress });
      const forward = (sig: NodeJS.Signals): void => {
        child.kill(sig);
      };
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolveExit) => {
        child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolveExit([c, s]));
      });
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
    });
}
