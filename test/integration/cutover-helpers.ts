// What the cutover integration tests share: a Turnout over the rig's main (Kafka 4.1.1) and
// legacy (3.9.1) clusters whose payments domain lives on legacy with main as its migration
// target (its names start with a prefix of the test's own, so each test's domain holds only
// its own topics), the /v1/cutovers calls, an idempotent Java producer through Turnout, and
// what each cluster holds of a topic, read directly.
import { writeFile } from 'node:fs/promises';
import kafkajs from 'kafkajs';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import type { CutoverListResponse, CutoverPlanResponse, CutoverResponse, CutoverView } from '../../src/admin/cutover-routes.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { idempotentProducerProperties, javaClientLogOptions, readTopic, verifiableProducerEvents, type ReadRecord, type VerifiableProducerEvents } from './acceptance-helpers.js';
import { createTopic, startTool, waitFor, type ClusterInfo } from './rig.js';
import { freePort, freePortBlock } from './test-redis.js';
import { twoDomainConfig } from './two-domain-turnout.js';

export const CUTOVER_CLUSTER_ID = 'tUrNoUtCuToVeRtEsTs000';

/** A prefix no other test's names start with. */
export function testPrefix(tag: string): string {
  return `co${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}-`;
}

/**
 * Turnout over main and legacy: orders (`${prefix}o-*`) on main, payments (`${prefix}p-*`) on
 * legacy with migration target main. Cutover timings short enough for a test.
 */
export function cutoverConfig(main: ClusterInfo, legacy: ClusterInfo, prefix: string, cutover: Record<string, number> = {}): TurnoutConfigInput {
  const config = twoDomainConfig({ clusterId: CUTOVER_CLUSTER_ID, main, legacy, orders: `${prefix}o-`, payments: `${prefix}p-` });
  config.domains = (config.domains ?? []).map((d) => (d.name === 'payments' ? { ...d, migrationTarget: 'main' } : d));
  return { ...config, cutover: { rateSampleMs: 200, drainTimeoutMs: 2_000, ...cutover } };
}

/** The payments domain's topic of a test: the same name, 3 partitions, on both clusters. */
export async function paymentsTopicOnBoth(main: ClusterInfo, legacy: ClusterInfo, prefix: string, label = 't'): Promise<string> {
  const name = `${prefix}p-${label}`;
  await createTopic(legacy, { name, partitions: 3, replicationFactor: 3 });
  await createTopic(main, { name, partitions: 3, replicationFactor: 3 });
  return name;
}

export class AdminApi {
  constructor(readonly port: number) {}

  private url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url(path), { method, headers: ADMIN_WRITE_HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async start(domain: string, extra: Record<string, unknown> = {}): Promise<CutoverView> {
    const res = await this.call<CutoverResponse & { error?: string }>('POST', '/v1/cutovers', { domain, ...extra });
    expect(res.status, `POST /v1/cutovers: ${res.body.error}`).toBe(202);
    return res.body.cutover;
  }

  async plan(domain: string, extra: Record<string, unknown> = {}): Promise<CutoverPlanResponse['plan']> {
    const res = await this.call<CutoverPlanResponse & { error?: string }>('POST', '/v1/cutovers', { domain, dryRun: true, ...extra });
    expect(res.status, `POST /v1/cutovers dryRun: ${res.body.error}`).toBe(200);
    return res.body.plan;
  }

  async get(id: string): Promise<CutoverView> {
    return (await this.call<CutoverResponse>('GET', `/v1/cutovers/${id}`)).body.cutover;
  }

  async list(domain: string): Promise<CutoverListResponse> {
    return (await this.call<CutoverListResponse>('GET', `/v1/cutovers?domain=${encodeURIComponent(domain)}`)).body;
  }

  /** Waits until a cutover has switched or rolled back. */
  async finished(id: string, timeoutMs = 60_000): Promise<CutoverView> {
    return waitFor(
      async () => {
        const c = await this.get(id);
        return c.phase === 'SWITCHED' || c.phase === 'ROLLED_BACK' ? c : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `cutover ${id} to finish` },
    );
  }

  /** Waits until a cutover is in `phase`. */
  async inPhase(id: string, phase: string, timeoutMs = 30_000): Promise<CutoverView> {
    return waitFor(
      async () => {
        const c = await this.get(id);
        if (c.phase === 'SWITCHED' || c.phase === 'ROLLED_BACK') {
          if (c.phase !== phase) throw new Error(`cutover ended ${c.phase} (${c.rollbackReason}) before reaching ${phase}`);
        }
        return c.phase === phase ? c : undefined;
      },
      { timeoutMs, intervalMs: 25, what: `cutover ${id} to be ${phase}` },
    );
  }
}

/** An idempotent Java VerifiableProducer (acks=all, 5 in flight) through `bootstrap`. */
export async function startIdempotentProducer(dir: string, bootstrap: string, topic: string, rate = 200): Promise<VerifiableProducerEvents> {
  const config = join(dir, `producer-${topic}.properties`);
  await writeFile(config, idempotentProducerProperties(120_000, ['reconnect.backoff.max.ms=500']));
  const producer = await startTool(
    'kafka-verifiable-producer',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--acks', '-1', '--throughput', String(rate), '--max-messages', '-1', '--repeating-keys', '30', '--producer.config', config],
    await javaClientLogOptions(),
  );
  return verifiableProducerEvents(producer);
}

/** Stops a producer cleanly and checks it reported no send error; returns its acknowledged values. */
export async function finishProducer(producer: VerifiableProducerEvents): Promise<Set<string>> {
  const errorsBefore = producer.errors.length;
  expect(await producer.finish(60_000), 'the producer closes within 60 s').toBe(true);
  const describe = (e: { exception?: string; message?: string }): string => `${e.exception}: ${e.message}`;
  expect(producer.errors.slice(0, errorsBefore).map(describe), 'producer send errors').toEqual([]);
  return new Set(producer.successes.map((e) => String(e.value)));
}

/** A topic's records on one cluster, read directly (uncommitted ones too: a test may leave a transaction open). */
export async function recordsOn(cluster: ClusterInfo, topic: string): Promise<ReadRecord[]> {
  return readTopic(cluster.bootstrapServers, topic, 120_000, { 'isolation.level': 'read_uncommitted' });
}

/** The offset after each partition's last record. */
export function endsOf(records: readonly ReadRecord[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of records) out.set(r.partition, Math.max(out.get(r.partition) ?? 0, r.offset + 1));
  return out;
}

/** Every acknowledged value stored, none twice (values not written by the producer left out). */
export function expectEachAcknowledgedOnce(acked: ReadonlySet<string>, stored: readonly ReadRecord[]): void {
  const values = stored.map((r) => String(r.value)).filter((v) => /^\d+$/.test(v));
  expect(values.length - new Set(values).size, 'records stored twice').toBe(0);
  const present = new Set(values);
  expect([...acked].filter((v) => !present.has(v)), 'acknowledged records not stored').toEqual([]);
}

/** A transaction opened on a cluster directly and left open until `close` aborts it. */
export async function openTransaction(cluster: ClusterInfo, topic: string): Promise<{ close(): Promise<void> }> {
  const kafka = new kafkajs.Kafka({ clientId: 'cutover-it', brokers: cluster.bootstrapServers.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: `${topic}-open-txn`, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'in-flight', partition: 0 }] });
  let closed = false;
  return {
    close: async () => {
      if (closed) return;
      closed = true;
      await txn.abort().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    },
  };
}

/** Writes `config` with fixed ports (a restart binds the same ones) to `file`; returns the admin port and the bootstrap address. */
export async function writeFixedPortConfig(file: string, config: Record<string, unknown> & { admin?: object }): Promise<{ admin: number; bootstrap: string }> {
  const ports = { bootstrap: await freePort(), nodePortBase: await freePortBlock(3), admin: await freePort() };
  await writeFile(
    file,
    stringify({
      ...config,
      listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase, nodes: 3 }],
      admin: { ...(config.admin ?? {}), port: ports.admin },
    }),
  );
  return { admin: ports.admin, bootstrap: `127.0.0.1:${ports.bootstrap}` };
}
