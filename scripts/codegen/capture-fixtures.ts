// Captures Kafka frames between real clients and a real broker, for the codec's fixture tests.
//
//   npx tsx scripts/codegen/capture-fixtures.ts --bootstrap 127.0.0.1:9092 --label kafka-4.1.1
//
// Starts a TCP tap on loopback for every broker of the cluster, runs a set of client scenarios
// (kcat/librdkafka, the Java CLI tools, kafkajs) through the taps, and writes the frames it saw
// to test/fixtures/captured/<label>/ with an index.json. Broker addresses in responses are
// rewritten to the taps (with this codec) so clients keep talking through them; the fixtures hold
// the broker's original bytes. A few frames are kept per client, api key, version and direction.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  apiInfo, decodeRequestHeader, decodeResponseBody, decodeResponseHeader, encodeRequestFrame, encodeResponseBody,
  peekRequestHeader, responseHeaderVersion, encodeResponseHeader, type MetadataResponse,
} from '../../src/codec/index.js';

interface Args {
  bootstrap: string;
  label: string;
  out: string;
  perKey: number;
  maxFrameBytes: number;
  only?: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const bootstrap = get('bootstrap');
  const label = get('label');
  if (!bootstrap || !label) throw new Error('usage: capture-fixtures.ts --bootstrap host:port --label name [--out dir] [--only kcat,java,kafkajs]');
  return {
    bootstrap,
    label,
    out: resolve(get('out') ?? 'test/fixtures/captured'),
    perKey: Number(get('per-key') ?? 2),
    maxFrameBytes: Number(get('max-frame-bytes') ?? 128 * 1024),
    only: get('only'),
  };
}

interface Captured {
  apiKey: number;
  version: number;
  direction: 'request' | 'response';
  client: string;
  frame: Buffer;
}

/** Splits a byte stream into size-prefixed frames. */
class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) break;
      frames.push(this.pending.subarray(4, 4 + size));
      this.pending = this.pending.subarray(4 + size);
    }
    return frames;
  }
}

function sizePrefixed(frame: Buffer): Buffer {
  const out = Buffer.alloc(4 + frame.length);
  out.writeInt32BE(frame.length, 0);
  frame.copy(out, 4);
  return out;
}

class Tap {
  readonly captured: Captured[] = [];
  private readonly seen = new Map<string, number>();
  /** real "host:port" -> tap port */
  readonly taps = new Map<string, number>();
  client = 'unknown';

  constructor(private readonly args: Args) {}

  private record(c: Captured): void {
    if (c.frame.length > this.args.maxFrameBytes) return;
    const key = `${c.client}|${c.apiKey}|${c.version}|${c.direction}`;
    const n = this.seen.get(key) ?? 0;
    if (n >= this.args.perKey) return;
    this.seen.set(key, n + 1);
    this.captured.push({ ...c, frame: Buffer.from(c.frame) });
  }

  /** Rewrites every {host, port} naming a tapped broker to its tap. */
  private rewrite(o: unknown): boolean {
    let changed = false;
    if (Array.isArray(o)) {
      for (const x of o) changed = this.rewrite(x) || changed;
    } else if (o !== null && typeof o === 'object' && !Buffer.isBuffer(o)) {
      const r = o as Record<string, unknown>;
      if (typeof r.host === 'string' && typeof r.port === 'number') {
        const tap = this.taps.get(`${r.host}:${r.port}`);
        if (tap !== undefined) {
          r.host = '127.0.0.1';
          r.port = tap;
          changed = true;
        }
      }
      for (const v of Object.values(r)) changed = this.rewrite(v) || changed;
    }
    return changed;
  }

  async listen(realHost: string, realPort: number): Promise<number> {
    const server = net.createServer((clientSock) => {
      const upstream = net.connect(realPort, realHost);
      const inflight = new Map<number, { apiKey: number; version: number }>();
      const fromClient = new FrameSplitter();
      const fromBroker = new FrameSplitter();
      const client = this.client;
      clientSock.on('data', (chunk) => {
        for (const frame of fromClient.push(chunk)) {
          const peek = peekRequestHeader(frame);
          if (peek) {
            inflight.set(peek.correlationId, { apiKey: peek.apiKey, version: peek.apiVersion });
            this.record({ apiKey: peek.apiKey, version: peek.apiVersion, direction: 'request', client, frame });
          }
          upstream.write(sizePrefixed(frame));
        }
      });
      upstream.on('data', (chunk) => {
        for (const frame of fromBroker.push(chunk)) {
          const corr = frame.readInt32BE(0);
          const req = inflight.get(corr);
          inflight.delete(corr);
          if (!req) {
            clientSock.write(sizePrefixed(frame));
            continue;
          }
          this.record({ apiKey: req.apiKey, version: req.version, direction: 'response', client, frame });
          clientSock.write(sizePrefixed(this.rewriteResponse(req.apiKey, req.version, frame)));
        }
      });
      const close = (): void => {
        clientSock.destroy();
        upstream.destroy();
      };
      clientSock.on('error', close);
      upstream.on('error', close);
      clientSock.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    this.servers.push(server);
    const port = (server.address() as net.AddressInfo).port;
    this.taps.set(`${realHost}:${realPort}`, port);
    return port;
  }

  readonly servers: net.Server[] = [];

  private rewriteResponse(apiKey: number, version: number, frame: Buffer): Buffer {
    if (apiInfo(apiKey) === undefined) return frame;
    try {
      const hv = responseHeaderVersion(apiKey, version);
      const h = decodeResponseHeader(frame, hv);
      const body = decodeResponseBody(apiKey, version, frame.subarray(h.headerSizeBytes));
      if (!this.rewrite(body)) return frame;
      return Buffer.concat([encodeResponseHeader(h, hv), encodeResponseBody(apiKey, version, body)]);
    } catch (e) {
      console.error(`capture: cannot rewrite api ${apiKey} v${version}: ${String(e)}`);
      return frame;
    }
  }

  close(): void {
    for (const s of this.servers) s.close();
  }
}

/** Asks the bootstrap broker for the cluster's brokers with a Metadata v12 request. */
async function discoverBrokers(bootstrap: string): Promise<{ nodeId: number; host: string; port: number }[]> {
  const [host, port] = bootstrap.split(':');
  const sock = net.connect(Number(port), host);
  const frame = encodeRequestFrame({ apiKey: 3, apiVersion: 12, correlationId: 1, clientId: 'turnout-capture' }, {
    topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
  });
  sock.write(frame);
  const splitter = new FrameSplitter();
  const resp = await new Promise<Buffer>((ok, fail) => {
    sock.on('data', (c) => {
      const f = splitter.push(c);
      if (f.length > 0) ok(f[0]);
    });
    sock.on('error', fail);
  });
  sock.destroy();
  const h = decodeResponseHeader(resp, 1);
  const m = decodeResponseBody(3, 12, resp.subarray(h.headerSizeBytes)) as MetadataResponse;
  return m.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }));
}

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      console.error(`capture: ${cmd} failed to start: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) console.error(`capture: ${[cmd, ...args].slice(0, 9).join(' ')} exited ${code}: ${err.trim().split('\n').slice(-2).join(' | ')}`);
      ok();
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

const lines = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `${tag}-${i}`).join('\n') + '\n';

async function kcatScenario(bootstrap: string, topic: string): Promise<void> {
  await run('kcat', ['-b', bootstrap, '-L']);
  await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-z', 'lz4', '-X', 'enable.idempotence=true'], { input: lines(20, 'kcat') });
  await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
  await run('kcat', ['-b', bootstrap, '-G', `${topic}-kcat-group`, '-e', '-q', '-X', 'auto.offset.reset=earliest', topic], { timeoutMs: 30_000 });
}

async function javaScenario(bootstrap: string, topic: string, brokerIds: number[]): Promise<void> {
  const tool = (name: string, args: string[], input?: string, timeoutMs = 90_000): Promise<void> =>
    run('npx', ['tsx', 'src/cli.ts', 'kafka', 'tool', name, ...args], { input, timeoutMs });
  const bs = ['--bootstrap-server', bootstrap];
  await tool('kafka-topics', [...bs, '--create', '--topic', `${topic}-java`, '--partitions', '3', '--replication-factor', '1']);
  await tool('kafka-topics', [...bs, '--describe', '--topic', `${topic}-java`]);
  await tool('kafka-console-producer', [...bs, '--topic', `${topic}-java`, '--producer-property', 'compression.type=gzip'], lines(30, 'java'));
  await tool('kafka-console-consumer', [...bs, '--topic', `${topic}-java`, '--group', `${topic}-classic`, '--from-beginning', '--max-messages', '30', '--consumer-property', 'group.protocol=classic']);
  await tool('kafka-console-consumer', [...bs, '--topic', `${topic}-java`, '--group', `${topic}-consumer`, '--from-beginning', '--max-messages', '30', '--consumer-property', 'group.protocol=consumer']);
  await tool('kafka-consumer-groups', [...bs, '--describe', '--all-groups']);
  await tool('kafka-configs', [...bs, '--describe', '--entity-type', 'topics', '--entity-name', `${topic}-java`]);
  await tool('kafka-configs', [...bs, '--alter', '--entity-type', 'topics', '--entity-name', `${topic}-java`, '--add-config', 'retention.ms=3600000']);
  await tool('kafka-get-offsets', [...bs, '--topic', `${topic}-java`]);
  await tool('kafka-log-dirs', [...bs, '--describe', '--topic-list', `${topic}-java`]);
  const offsetsFile = join(tmpdir(), `${topic}-delete-records.json`);
  writeFileSync(offsetsFile, JSON.stringify({ version: 1, partitions: [{ topic: `${topic}-java`, partition: 0, offset: 1 }] }));
  await tool('kafka-delete-records', [...bs, '--offset-json-file', offsetsFile]);
  await tool('kafka-transactions', [...bs, 'list']);
  await tool('kafka-features', [...bs, 'describe']);
  await tool('kafka-metadata-quorum', [...bs, 'describe', '--status']);
  await tool('kafka-broker-api-versions', [...bs]);
  await tool('kafka-acls', [...bs, '--list']);
  await tool('kafka-client-metrics', [...bs, '--list']);
  await tool('kafka-groups', [...bs, '--list']);
  await tool('kafka-topics', [...bs, '--alter', '--topic', `${topic}-java`, '--partitions', '4']);
  await tool('kafka-consumer-groups', [...bs, '--delete-offsets', '--group', `${topic}-classic`, '--topic', `${topic}-java`]);
  await tool('kafka-consumer-groups', [...bs, '--delete', '--group', `${topic}-classic`]);
  await tool('kafka-leader-election', [...bs, '--election-type', 'preferred', '--all-topic-partitions']);
  const reassignFile = join(tmpdir(), `${topic}-reassign.json`);
  writeFileSync(reassignFile, JSON.stringify({ version: 1, partitions: [{ topic: `${topic}-java`, partition: 0, replicas: [brokerIds[0]] }] }));
  await tool('kafka-reassign-partitions', [...bs, '--execute', '--reassignment-json-file', reassignFile]);
  await tool('kafka-transactions', [...bs, 'describe-producers', '--topic', `${topic}-java`, '--partition', '0']);
  await tool('kafka-transactions', [...bs, 'describe', '--transactional-id', `${topic}-txn`]);
  await tool('kafka-configs', [...bs, '--alter', '--entity-type', 'clients', '--entity-name', 'capture-client', '--add-config', 'producer_byte_rate=1048576']);
  await tool('kafka-configs', [...bs, '--describe', '--entity-type', 'clients']);
  await tool('kafka-configs', [...bs, '--describe', '--entity-type', 'users']);
  await tool('kafka-acls', [...bs, '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', `${topic}-java`]);
  await tool('kafka-acls', [...bs, '--remove', '--force', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', `${topic}-java`]);
  await tool('kafka-delegation-tokens', [...bs, '--describe']);
  await tool('kafka-cluster', ['cluster-id', ...bs]);
  await tool('kafka-topics', [...bs, '--delete', '--topic', `${topic}-java`]);
}

async function kafkajsScenario(bootstrap: string, topic: string): Promise<void> {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const kafka = new Kafka({ clientId: 'capture-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const t = `${topic}-kafkajs`;
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 2 }], waitForLeaders: true });
  await admin.fetchTopicMetadata({ topics: [t] });
  await admin.describeCluster();
  await admin.createPartitions({ topicPartitions: [{ topic: t, count: 3 }] });
  await admin.describeConfigs({ resources: [{ type: 2, name: t }], includeSynonyms: false });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: t, configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
  await admin.describeAcls({ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }).catch(() => undefined);
  const producer = kafka.producer({ idempotent: true, transactionalId: `${topic}-txn`, maxInFlightRequests: 1 });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic: t, messages: [{ key: 'k', value: 'in a transaction', headers: { h: 'v' } }] });
  await txn.sendOffsets({ consumerGroupId: `${topic}-kafkajs-group`, topics: [{ topic: t, partitions: [{ partition: 0, offset: '0' }] }] });
  await txn.commit();
  await producer.disconnect();
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({ topic: t, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await plain.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-kafkajs-group` });
  await consumer.connect();
  await consumer.subscribe({ topic: t, fromBeginning: true });
  let got = 0;
  await new Promise<void>((ok) => {
    const timer = setTimeout(ok, 20_000);
    void consumer.run({
      eachMessage: async () => {
        got++;
        if (got >= 11) {
          clearTimeout(timer);
          ok();
        }
      },
    });
  });
  await consumer.disconnect();
  await admin.fetchTopicOffsetsByTimestamp(t, Date.now() - 60_000);
  await admin.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: '1' }] }).catch(() => undefined);
  await admin.fetchOffsets({ groupId: `${topic}-kafkajs-group`, topics: [t] });
  await admin.describeGroups([`${topic}-kafkajs-group`]);
  await admin.listGroups();
  await admin.deleteGroups([`${topic}-kafkajs-group`]);
  await admin.deleteTopics({ topics: [t] });
  await admin.disconnect();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const brokers = await discoverBrokers(args.bootstrap);
  const tap = new Tap(args);
  const tapPorts: number[] = [];
  for (const b of brokers) tapPorts.push(await tap.listen(b.host, b.port));
  const bootstrap = `127.0.0.1:${tapPorts[0]}`;
  const topic = `capture-${Date.now().toString(36)}`;
  // kafkajs before the Java tools, which then describe its transaction.
  const scenarios: [string, () => Promise<void>][] = [
    ['kcat', () => kcatScenario(bootstrap, topic)],
    ['kafkajs', () => kafkajsScenario(bootstrap, topic)],
    ['java', () => javaScenario(bootstrap, topic, brokers.map((b) => b.nodeId))],
  ];
  for (const [name, scenario] of scenarios) {
    if (args.only && !args.only.split(',').includes(name)) continue;
    tap.client = name;
    console.error(`capture: running ${name} through ${bootstrap}`);
    try {
      await scenario();
    } catch (e) {
      console.error(`capture: ${name} scenario failed: ${String(e)}`);
    }
  }
  tap.close();

  const dir = join(args.out, args.label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const index = tap.captured.map((c, i) => {
    const name = apiInfo(c.apiKey)?.name ?? `api${c.apiKey}`;
    const file = `${String(i).padStart(4, '0')}-${c.client}-${name}-v${c.version}-${c.direction}.bin`;
    writeFileSync(join(dir, file), c.frame);
    return { file, apiKey: c.apiKey, apiName: name, version: c.version, direction: c.direction, client: c.client };
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ label: args.label, frames: index }, null, 1) + '\n');
  console.error(`capture: wrote ${index.length} frames to ${dir}`);
  // Sanity: every captured request header decodes.
  for (const c of tap.captured) if (c.direction === 'request' && apiInfo(c.apiKey)) decodeRequestHeader(c.frame);
  process.exit(0);
}

void main();
