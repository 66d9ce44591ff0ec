// A produce latency probe with microsecond resolution. kafka-producer-perf-test reports its
// percentiles in whole milliseconds, too coarse to tell whether Turnout adds less than 1 ms;
// this probe sends one single-record Produce request at a time, at a fixed rate,
// on one connection to the partition leader, and times each round trip with hrtime. Run
// alongside the throughput-capped perf test, it measures latency under that moderate load.
// On a secured listener the connection is TLS and logs in with SASL first (with Turnout's own
// SASL client); the timed loop is the same either way.
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import tls from 'node:tls';
import kafkajs from 'kafkajs';
import type { SaslClientMechanism } from '../src/auth/sasl-client.js';
import { ScramKeyCache } from '../src/auth/scram-client.js';
import { crc32c, decodeResponseBody, decodeResponseHeader, encodeRequestBody, encodeRequestHeader, responseHeaderVersion } from '../src/codec/index.js';
import { saslLogin } from '../src/net/upstream-handshake.js';

const { Kafka, logLevel } = kafkajs;

const PRODUCE = 0;
/** Flexible, topic names (not ids): spoken by every Kafka from 2.8 on. */
const PRODUCE_VERSION = 9;

export interface ProbeLatency {
  /** Round trips measured. */
  count: number;
  /** Requests answered with an error (not counted in the latencies). */
  errors: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function uvarint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A v2 record batch holding one record with no key and `value`. */
export function singleRecordBatch(value: Buffer, timestampMs: bigint): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]), // record attributes
    uvarint(zigzag(0)), // timestamp delta
    uvarint(zigzag(0)), // offset delta
    uvarint(zigzag(-1)), // key: null
    uvarint(zigzag(value.length)),
    value,
    uvarint(zigzag(0)), // no headers
  ]);
  const record = Buffer.concat([uvarint(zigzag(body.length)), body]);
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(0n, 0); // base offset
  header.writeInt32BE(61 - 12 + record.length, 8); // batch length: from the leader epoch on
  header.writeInt32BE(-1, 12); // partition leader epoch
  header.writeInt8(2, 16); // magic
  header.writeInt16BE(0, 21); // attributes: no compression, CreateTime
  header.writeInt32BE(0, 23); // last offset delta
  header.writeBigInt64BE(timestampMs, 27);
  header.writeBigInt64BE(timestampMs, 35);
  header.writeBigInt64BE(-1n, 43); // producer id: none
  header.writeInt16BE(-1, 51); // producer epoch
  header.writeInt32BE(-1, 53); // base sequence
  header.writeInt32BE(1, 57); // record count
  const batch = Buffer.concat([header, record]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** How the probe reaches a secured listener: TLS, then a SASL login. */
export interface ProbeSecurity {
  /** The CA the listener's certificate is verified with, PEM. */
  caFile: string;
  mechanism: SaslClientMechanism;
  username: string;
  password: string;
}

function kafkajsSecurity(security: ProbeSecurity | undefined, ca: Buffer | undefined): Pick<kafkajs.KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined || ca === undefined) return {};
  const mechanism = security.mechanism === 'PLAIN' ? 'plain' : security.mechanism === 'SCRAM-SHA-256' ? 'scram-sha-256' : 'scram-sha-512';
  return { ssl: { ca: [ca] }, sasl: { mechanism, username: security.username, password: security.password } as kafkajs.SASLOptions };
}

/** The leader of partition 0 of `topic`, as the cluster behind `bootstrap` names it. */
async function leaderAddress(bootstrap: string, topic: string, security: ProbeSecurity | undefined, ca: Buffer | undefined): Promise<{ host: string; port: number }> {
  const admin = new Kafka({ clientId: 'turnout-bench-probe', brokers: bootstrap.split(','), ...kafkajsSecurity(security, ca), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const leader = meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
    const broker = (await admin.describeCluster()).brokers.find((b) => b.nodeId === leader);
    if (broker === undefined) throw new Error(`no leader for ${topic}-0 behind ${bootstrap}`);
    return { host: broker.host, port: broker.port };
  } finally {
    await admin.disconnect();
  }
}

function percentileUs(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarizeProbe(samplesUs: readonly number[], errors: number): ProbeLatency {
  const sorted = Float64Array.from(samplesUs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    errors,
    p50Us: percentileUs(sorted, 0.5),
    p90Us: percentileUs(sorted, 0.9),
    p99Us: percentileUs(sorted, 0.99),
    p999Us: percentileUs(sorted, 0.999),
    maxUs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    meanUs: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

export interface ProbeOptions {
  /** Bootstrap of the path to measure (the cluster, or Turnout). */
  bootstrap: string;
  topic: string;
  durationMs: number;
  /** Requests per second; one is in flight at a time. Default 200. */
  ratePerSec?: number;
  /** Default 1024. */
  recordSizeBytes?: number;
  /** Round trips before this are not counted (connection set-up, first appends). Default 20. */
  warmupRequests?: number;
  /** -1 (all) or 1; default -1. */
  acks?: number;
  /** For a TLS listener with SASL; plain TCP without. */
  security?: ProbeSecurity;
}

/** A plain or TLS connection with Nagle off, once it is ready to write. */
function connect(host: string, port: number, ca: Buffer | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = ca === undefined ? new Socket() : tls.connect({ host, port, ca: [ca] });
    socket.setNoDelay(true);
    socket.once('error', reject);
    const ready = (): void => {
      socket.off('error', reject);
      resolve(socket);
    };
    if (ca === undefined) socket.connect(port, host, ready);
    else socket.once('secureConnect', ready);
  });
}

/** Produces to partition 0 of `topic` one record at a time and times each acknowledgement. */
export async function runProduceProbe(opts: ProbeOptions): Promise<ProbeLatency> {
  const ca = opts.security !== undefined ? await readFile(opts.security.caFile) : undefined;
  const { host, port } = await leaderAddress(opts.bootstrap, opts.topic, opts.security, ca);
  const socket = await connect(host, port, ca);
  const value = Buffer.alloc(opts.recordSizeBytes ?? 1024, 0x61);
  const intervalMs = 1000 / (opts.ratePerSec ?? 200);
  const warmup = opts.warmupRequests ?? 20;
  const samples: number[] = [];
  let errors = 0;
  let correlationId = 0;
  let pending: ((frame: Buffer) => void) | undefined;
  let buffered: Buffer = Buffer.alloc(0);
  let failure: Error | undefined;
  // Whole frames, size prefix included, one request in flight at a time.
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (buffered.length < 4 + size) break;
      const frame = buffered.subarray(0, 4 + size);
      buffered = buffered.subarray(4 + size);
      const resolve = pending;
      pending = undefined;
      resolve?.(frame);
    }
  });
  socket.on('error', (e) => {
    failure = e;
  });
  socket.on('close', () => {
    failure ??= new Error('connection closed');
    pending?.(Buffer.alloc(0));
  });
  /** Sends `frame` and resolves with the answer and the hrtime just before the write. */
  const roundTrip = async (frame: Buffer): Promise<{ answer: Buffer; sentAt: bigint }> => {
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<Buffer>((resolve, reject) => {
      pending = resolve;
      timer = setTimeout(() => reject(new Error(`no response within 30 s from ${host}:${port}`)), 30_000);
    });
    const sentAt = process.hrtime.bigint();
    socket.write(frame);
    const answer = await answered.finally(() => clearTimeout(timer));
    if (failure !== undefined) throw failure;
    return { answer, sentAt };
  };

  try {
    if (opts.security !== undefined) {
      const { mechanism, username, password } = opts.security;
      const login = { mechanism, username, password: () => Promise.resolve(password), keys: new ScramKeyCache() };
      await saslLogin(async (frame) => (await roundTrip(frame)).answer, login);
    }
    const started = performance.now();
    let next = started;
    for (let i = 0; performance.now() - started < opts.durationMs; i++) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += intervalMs;
      correlationId++;
      const body = encodeRequestBody(PRODUCE, PRODUCE_VERSION, {
        transactionalId: null,
        acks: opts.acks ?? -1,
        timeoutMs: 30_000,
        topicData: [{ name: opts.topic, topicId: '', partitionData: [{ index: 0, records: singleRecordBatch(value, BigInt(Date.now())) }] }],
      });
      const header = encodeRequestHeader({ apiKey: PRODUCE, apiVersion: PRODUCE_VERSION, correlationId, clientId: 'turnout-bench-probe' });
      const size = Buffer.alloc(4);
      size.writeInt32BE(header.length + body.length);
      const frame = Buffer.concat([size, header, body]);
      const { answer, sentAt } = await roundTrip(frame);
      const us = Number(process.hrtime.bigint() - sentAt) / 1_000;
      const response = answer.subarray(4);
      const responseHeader = decodeResponseHeader(response, responseHeaderVersion(PRODUCE, PRODUCE_VERSION));
      if (responseHeader.correlationId !== correlationId) throw new Error(`response for correlation id ${responseHeader.correlationId}, expected ${correlationId}`);
      const decoded = decodeResponseBody(PRODUCE, PRODUCE_VERSION, response.subarray(responseHeader.headerSizeBytes));
      const errorCode = decoded.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (errorCode !== 0) errors++;
      else if (i >= warmup) samples.push(us);
    }
  } finally {
    socket.destroy();
  }
  return summarizeProbe(samples, errors);
}
