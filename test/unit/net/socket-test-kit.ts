// What the socket-level tests of src/net share: a fake broker's listening socket, request
// frames, a plain upstream connection, waiting on a condition, and cleanups run after each test.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { ClientConnection, type ClientConnectionOptions } from '../../../src/net/client-connection.js';
import { UpstreamConnection, type UpstreamListener } from '../../../src/net/upstream-connection.js';
import { UpstreamConnector } from '../../../src/net/upstream-connector.js';
import { FrameReader } from '../../../src/net/frame-reader.js';
import type { ZoneContext } from '../../../src/net/session-zone.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { parseConfig, type LimitsConfig } from '../../../src/policy/config.js';
import type { BrokerAddress, ClientSession, RequestExchange, RequestRouter } from '../../../src/net/request-router.js';

/** Cleanups of the current test, run in reverse order after it. */
export function testCleanups(): Array<() => Promise<void> | void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  return cleanups;
}

/** A plaintext upstream to 127.0.0.1:`port` (backend `b`, broker 1) that nobody listens to. */
export function plainUpstream(port: number, opts: { requestTimeoutMs?: number; maxFrameBytes?: number } = {}): UpstreamConnection {
  const listener: UpstreamListener = { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined };
  return new UpstreamConnection(
    {
      backend: 'b',
      brokerId: 1,
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 5_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      maxFrameBytes: opts.maxFrameBytes ?? 8 * 1024 * 1024,
      writeHighWaterBytes: 1024 * 1024,
      log: createLogger({ level: 'silent' }),
      metrics: new ProxyMetrics({ apiName: () => undefined }),
    },
    listener,
  );
}

export async function waitUntil(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A request frame with a null client id and an empty body. */
export function request(apiKey: number, correlationId: number, version = 0): Buffer {
  const b = Buffer.alloc(14);
  b.writeInt32BE(10, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(version, 6);
  b.writeInt32BE(correlationId, 8);
  b.writeInt16BE(-1, 12);
  return b;
}

/**
 * A fake broker's server: it reads request frames and hands each to `onRequest` with the
 * socket and a chain that runs answers one at a time per connection, as a broker does.
 */
export class FakeBrokerServer {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();

  constructor(onRequest: (socket: net.Socket, frame: Buffer, chain: (answer: () => Promise<void>) => void) => void) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending = Promise.resolve();
      const chain = (answer: () => Promise<void>): void => {
        pending = pending.then(answer).catch(() => undefined);
      };
      const reader = new FrameReader(1 << 20, (frame) => onRequest(socket, frame, chain));
      socket.on('data', (b: Buffer) => reader.push(b));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** The fake brokers' answer: a response frame whose body is the api key it answers. */
export function apiKeyResponse(correlationId: number, apiKey: number): Buffer {
  const res = Buffer.alloc(10);
  res.writeInt32BE(6, 0);
  res.writeInt32BE(correlationId, 4);
  res.writeInt16BE(apiKey, 8);
  return res;
}

/** A fake broker that answers every request with `apiKeyResponse`, except requests of `silentApis`, which get none (acks=0). */
export class EchoBroker extends FakeBrokerServer {
  constructor(silentApis: readonly number[] = []) {
    super((socket, frame, chain) => {
      const apiKey = frame.readInt16BE(4);
      const corr = frame.readInt32BE(8);
      chain(async () => {
        if (!socket.destroyed && !silentApis.includes(apiKey)) socket.write(apiKeyResponse(corr, apiKey));
      });
    });
  }
}

/** What every fake router shares: brokers on local ports, responses passed unchanged, no failure answers. */
export abstract class FakeRouterBase implements RequestRouter {
  readonly ports = new Map<number, number>();

  abstract routeRequest(session: ClientSession, exchange: RequestExchange): void;

  rewriteResponse(_s: ClientSession, _ex: RequestExchange, frame: Buffer): Buffer {
    return frame;
  }

  failureResponse(): Buffer | null {
    return null;
  }

  brokerAddress(brokerId: number): BrokerAddress | null {
    const port = this.ports.get(brokerId);
    return port === undefined ? null : { backend: 'fake', brokerId, host: '127.0.0.1', port };
  }
}

/** A client socket and the client connection Turnout made of it. */
export interface ConnectedClient {
  client: net.Socket;
  /** Resolves when the client's socket closes. */
  closed: Promise<void>;
  conn: () => ClientConnection;
}

/**
 * Listens on a loopback port whose accepted sockets `accept` turns into client connections,
 * connects a client to it, and hands each frame the client receives to `onFrame`. Everything
 * is closed by `cleanups`.
 */
export async function connectClient(
  cleanups: Array<() => Promise<void> | void>,
  accept: (socket: net.Socket) => ClientConnection,
  onFrame: (frame: Buffer) => void,
): Promise<ConnectedClient> {
  let conn: ClientConnection | undefined;
  const server = net.createServer((socket) => {
    conn = accept(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  cleanups.push(() => {
    client.destroy();
    conn?.close('test_done');
  });
  const reader = new FrameReader(1 << 20, onFrame);
  client.on('data', (b: Buffer) => reader.push(b));
  client.on('error', () => undefined);
  const closed = new Promise<void>((r) => client.on('close', () => r()));
  await new Promise<void>((r) => client.once('connect', () => r()));
  await waitUntil(() => conn !== undefined);
  return { client, closed, conn: () => conn as ClientConnection };
}

/** The configured limits, defaults but for `overrides`. */
export function limitsWith(overrides: Record<string, number>): LimitsConfig {
  return parseConfig({
    virtualCluster: { clusterId: 'x' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'fake', bootstrapServers: ['127.0.0.1:1'] }],
    limits: overrides,
  }).limits;
}

/** A client connection over an accepted socket, logging nothing. */
export function clientConnection(
  socket: net.Socket,
  connId: number,
  router: RequestRouter,
  limits: LimitsConfig,
  metrics: ProxyMetrics,
  zones?: ZoneContext,
  preLogin?: ClientConnectionOptions['preLogin'],
  extra: Partial<ClientConnectionOptions> = {},
): ClientConnection {
  const log = createLogger({ level: 'silent' });
  return new ClientConnection({
    connId,
    socket,
    listenerName: 'default',
    virtualNodeId: 0,
    connector: new UpstreamConnector({ backends: [], limits, metrics, log }),
    router,
    limits,
    log,
    metrics,
    zones,
    preLogin,
    onClosed: () => undefined,
    ...extra,
  });
}
