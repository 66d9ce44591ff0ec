// A Java-free liveness probe: ApiVersions v0 then Metadata v12 over one TCP connection.
// Deliberately standalone (not src/codec) so the test rig can judge a broker without
// trusting the code under test. Every length is checked against the bytes that arrived.
// A broker inside a network namespace is reached through a relay process started there.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { tcpRelayCommand } from './netns.js';

export interface ProbedBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ProbeResult {
  /** ApiVersions answered without error. */
  answers: boolean;
  /** api key -> [min, max] */
  apiVersions?: Map<number, [number, number]>;
  /** From Metadata, when asked for and supported. */
  brokers?: ProbedBroker[];
  clusterId?: string | null;
  controllerId?: number;
  error?: string;
  latencyMs: number;
}

const API_METADATA = 3;
const API_VERSIONS = 18;
const METADATA_VERSION = 12;
const MAX_FRAME_BYTES = 1 << 20;
const CLIENT_ID = 'turnout-devkit-probe';

class ProbeDecodeError extends Error {}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (n < 0 || this.at + n > this.buf.length) throw new ProbeDecodeError(`truncated response at byte ${this.at}`);
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.at++);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const b = this.buf[this.at++] as number;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new ProbeDecodeError('varint too long');
  }
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.bytes(n - 1).toString('utf8');
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new ProbeDecodeError('null where a string is required');
    return s;
  }
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.bytes(this.uvarint());
    }
  }
}

function requestHeader(apiKey: number, version: number, correlationId: number, flexible: boolean): Buffer {
  const client = Buffer.from(CLIENT_ID, 'utf8');
  const head = Buffer.alloc(10 + client.length + (flexible ? 1 : 0));
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(version, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(client.length, 8);
  client.copy(head, 10);
  // Flexible headers end with an empty tagged-field section (already zero).
  return head;
}

function frame(parts: Buffer[]): Buffer {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const len = Buffer.alloc(4);
  len.writeInt32BE(size, 0);
  return Buffer.concat([len, ...parts]);
}

export function encodeApiVersionsRequest(correlationId: number): Buffer {
  return frame([requestHeader(API_VERSIONS, 0, correlationId, false)]);
}

export function encodeMetadataRequest(correlationId: number): Buffer {
  // topics: empty compact array (1); allow_auto_topic_creation, include_topic_authorized_operations: false; no tags.
  return frame([requestHeader(API_METADATA, METADATA_VERSION, correlationId, true), Buffer.from([1, 0, 0, 0])]);
}

export function decodeApiVersionsResponse(body: Buffer, correlationId: number): Map<number, [number, number]> {
  const r = new Reader(body);
  if (r.int32() !== correlationId) throw new ProbeDecodeError('ApiVersions correlation id mismatch');
  const errorCode = r.int16();
  if (errorCode !== 0) throw new ProbeDecodeError(`ApiVersions error code ${errorCode}`);
  const count = r.int32();
  if (count < 0 || count > 1000) throw new ProbeDecodeError(`ApiVersions count ${count}`);
  const out = new Map<number, [number, number]>();
  for (let i = 0; i < count; i++) {
    const key = r.int16();
    out.set(key, [r.int16(), r.int16()]);
  }
  return out;
}

export interface MetadataSummary {
  brokers: ProbedBroker[];
  clusterId: string | null;
  controllerId: number;
}

export function decodeMetadataResponse(body: Buffer, correlationId: number): MetadataSummary {
  const r = new Reader(body);
  if (r.int32() !== correlationId) throw new ProbeDecodeError('Metadata correlation id mismatch');
  r.skipTaggedFields();
  r.int32(); // throttle_time_ms
  const count = r.uvarint() - 1;
  if (count < 0 || count > 10_000) throw new ProbeDecodeError(`Metadata broker count ${count}`);
  const brokers: ProbedBroker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = r.int32();
    const host = r.compactString();
    const port = r.int32();
    const rack = r.compactNullableString();
    r.skipTaggedFields();
    brokers.push({ nodeId, host, port, rack });
  }
  const clusterId = r.compactNullableString();
  const controllerId = r.int32();
  return { brokers, clusterId, controllerId };
}

/** Sends frames one at a time over a byte stream and reads whole response frames. */
class FrameConversation {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: ((frame: Buffer | Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(private readonly send: (bytes: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.deliver();
  }

  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(this.failure);
  }

  private deliver(): void {
    if (this.waiter === undefined || this.buffered < 4) return;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [all];
    const size = all.readInt32BE(0);
    if (size < 0 || size > MAX_FRAME_BYTES) {
      this.fail(new ProbeDecodeError(`response frame of ${size} bytes`));
      return;
    }
    if (all.length < 4 + size) return;
    const body = all.subarray(4, 4 + size);
    const rest = all.subarray(4 + size);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    const w = this.waiter;
    this.waiter = undefined;
    w(body);
  }

  exchange(request: Buffer): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolveFrame, reject) => {
      this.waiter = (result) => (result instanceof Error ? reject(result) : resolveFrame(result));
      this.send(request);
      this.deliver();
    });
  }
}

interface ProbeConnection {
  conversation: FrameConversation;
  /** Resolves once bytes can flow (rejects when the connection cannot be made). */
  ready: Promise<void>;
  close(reason?: Error): void;
}

function socketConnection(host: string, port: number): ProbeConnection {
  const socket = new Socket();
  socket.setNoDelay(true);
  const conversation = new FrameConversation((bytes) => socket.write(bytes));
  const ready = new Promise<void>((resolveConnect, reject) => {
    socket.once('connect', resolveConnect);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('connection closed')));
  });
  socket.on('data', (chunk: Buffer) => conversation.push(chunk));
  socket.on('error', (err) => conversation.fail(err));
  socket.on('close', () => conversation.fail(new Error('connection closed by broker')));
  socket.connect(port, host);
  return { conversation, ready, close: (reason) => socket.destroy(reason) };
}

function relayConnection(netns: string, host: string, port: number): ProbeConnection {
  const { command, args } = tcpRelayCommand(netns, host, port);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const conversation = new FrameConversation((bytes) => child.stdin.write(bytes));
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-500);
  });
  child.stdin.on('error', () => undefined); // the relay may exit before reading
  child.stdout.on('data', (chunk: Buffer) => conversation.push(chunk));
  const ready = new Promise<void>((resolveSpawn, reject) => {
    child.once('spawn', resolveSpawn);
    child.once('error', reject);
  });
  child.once('close', (code) => {
    const why = stderr.trim() !== '' ? stderr.trim() : `relay exited with ${code}`;
    conversation.fail(new Error(code === 0 ? 'connection closed by broker' : `in netns ${netns}: ${why}`));
  });
  return {
    conversation,
    ready,
    close: (reason) => {
      if (reason !== undefined) conversation.fail(reason);
      child.kill('SIGKILL');
    },
  };
}

export interface ProbeOptions {
  timeoutMs?: number;
  /** Also ask for Metadata (broker list). */
  metadata?: boolean;
  /** Connect from inside this network namespace (see netns.ts). */
  netns?: string;
}

/** Never throws: a broker that does not answer gives `answers: false` and an error text. */
export async function probeKafka(host: string, port: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const connection = opts.netns === undefined ? socketConnection(host, port) : relayConnection(opts.netns, host, port);
  const timer = setTimeout(() => connection.close(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const result: ProbeResult = { answers: false, latencyMs: 0 };
  try {
    await connection.ready;
    const conversation = connection.conversation;
    const versions = decodeApiVersionsResponse(await conversation.exchange(encodeApiVersionsRequest(1)), 1);
    result.answers = true;
    result.apiVersions = versions;
    if (opts.metadata === true) {
      const range = versions.get(API_METADATA);
      if (range === undefined || range[0] > METADATA_VERSION || range[1] < METADATA_VERSION) {
        throw new ProbeDecodeError(`broker does not support Metadata v${METADATA_VERSION}`);
      }
      const summary = decodeMetadataResponse(await conversation.exchange(encodeMetadataRequest(2)), 2);
      result.brokers = summary.brokers;
      result.clusterId = summary.clusterId;
      result.controllerId = summary.controllerId;
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    connection.close();
    result.latencyMs = Date.now() - started;
  }
  return result;
}
