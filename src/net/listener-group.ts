// The TCP servers of one configured listener: a bootstrap port, and one port per virtual node
// (virtual node N listens on nodePortBase + N - nodeIdBase, or on an ephemeral port when the
// base is 0).
//
// With `tls` configured every port terminates TLS (listener-tls.ts) and a socket is handed on
// once its handshake is done, with its TLS facts. A client that sent a certificate the
// listener could not verify (clientAuth requested), or whose verified subject no mapping rule
// maps, is refused there, as a broker refuses it during authentication.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { principalFromTls, tlsPeerOf } from '../auth/tls-principal.js';
import type { Logger } from '../observability/logger.js';
import type { TlsPeer } from '../pipeline/filter.js';
import type { ListenerConfig } from '../policy/config.js';
import { ListenerTls } from './listener-tls.js';
import { adoptAccepted } from './shared-reads.js';

/** Receives every accepted socket with where it was accepted and, on a TLS listener, its TLS facts. */
export type AcceptHandler = (socket: net.Socket, listenerName: string, virtualNodeId: number, tls: TlsPeer | null) => void;

export class ListenerGroup {
  readonly config: ListenerConfig;
  private readonly onAccept: AcceptHandler;
  private readonly log: Logger;
  /** Set when the listener terminates TLS. */
  readonly tls: ListenerTls | null;
  private bootstrap: net.Server | null = null;
  private bootstrapBound = 0;
  private readonly nodes = new Map<number, { server: net.Server; port: number }>();
  private readonly binding = new Map<number, Promise<number>>();
  private closed = false;

  /** Throws ListenerTlsError when the listener's TLS files cannot be used. */
  constructor(config: ListenerConfig, onAccept: AcceptHandler, log: Logger) {
    this.config = config;
    this.onAccept = onAccept;
    this.log = log.child({ listener: config.name });
    this.tls = config.tls === undefined ? null : new ListenerTls(config.name, config.tls, log);
  }

  get name(): string {
    return this.config.name;
  }

  get advertisedHost(): string {
    return this.config.advertisedHost;
  }

  /** The bound bootstrap port, 0 before `listenBootstrap` resolves. */
  get bootstrapPort(): number {
    return this.bootstrapBound;
  }

  /** The bound port of a virtual node, or undefined while it is not bound. */
  nodePort(virtualNodeId: number): number | undefined {
    return this.nodes.get(virtualNodeId)?.port;
  }

  /** Every bound virtual node and its port. */
  boundNodes(): Array<{ virtualNodeId: number; port: number }> {
    return [...this.nodes].map(([virtualNodeId, n]) => ({ virtualNodeId, port: n.port }));
  }

  async listenBootstrap(): Promise<number> {
    const server = this.createServer(-1);
    this.bootstrap = server;
    this.bootstrapBound = await this.bind(server, this.config.bootstrapPort);
    this.log.info({ host: this.config.bindHost, port: this.bootstrapBound }, 'bootstrap listener bound');
    return this.bootstrapBound;
  }

  /** Binds the port of a virtual node if not yet bound; resolves with its port. */
  ensureNode(virtualNodeId: number): Promise<number> {
    const existing = this.nodes.get(virtualNodeId);
    if (existing !== undefined) return Promise.resolve(existing.port);
    const inProgress = this.binding.get(virtualNodeId);
    if (inProgress !== undefined) return inProgress;
    const wanted = this.config.nodePortBase === 0 ? 0 : this.config.nodePortBase + virtualNodeId - this.config.nodeIdBase;
    const server = this.createServer(virtualNodeId);
    const promise = this.bind(server, wanted).then(
      (port) => {
        this.binding.delete(virtualNodeId);
        if (this.closed) {
          server.close();
          return port;
        }
        this.nodes.set(virtualNodeId, { server, port });
        this.log.info({ host: this.config.bindHost, port, virtualNodeId }, 'node listener bound');
        return port;
      },
      (err: unknown) => {
        this.binding.delete(virtualNodeId);
        throw err;
      },
    );
    this.binding.set(virtualNodeId, promise);
    return promise;
  }

  /**
   * Stops accepting connections at once; resolves when every server has closed, which is
   * only after the connections it accepted have closed too.
   */
  async close(): Promise<void> {
    this.closed = true;
    const servers = [this.bootstrap, ...[...this.nodes.values()].map((n) => n.server)].filter(
      (s): s is net.Server => s !== null,
    );
    this.tls?.close();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private createServer(virtualNodeId: number): net.Server {
    const server = this.tls === null ? this.createPlainServer(virtualNodeId) : this.createTlsServer(this.tls, virtualNodeId);
    server.on('error', (err) => this.log.error({ err, virtualNodeId }, 'listener error'));
    return server;
  }

  private createPlainServer(virtualNodeId: number): net.Server {
    // Paused, so that the connection can be moved into a socket that reads through the shared buffer.
    return net.createServer({ noDelay: true, pauseOnConnect: true }, (paused) => {
      if (this.closed) {
        paused.destroy();
        return;
      }
      this.onAccept(adoptAccepted(paused), this.config.name, virtualNodeId, null);
    });
  }

  private createTlsServer(listenerTls: ListenerTls, virtualNodeId: number): tls.Server {
    const server = tls.createServer({ ...listenerTls.serverOptions(), noDelay: true }, (socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      const peer = this.admittedPeer(listenerTls, socket, virtualNodeId);
      if (peer !== null) this.onAccept(socket, this.config.name, virtualNodeId, peer);
    });
    server.on('tlsClientError', (err, socket) => {
      // Refused certificates, plaintext clients, handshake timeouts: one client's problem.
      this.log.info({ err: err.message, client: `${socket.remoteAddress}:${socket.remotePort}`, virtualNodeId }, 'client TLS handshake failed');
    });
    listenerTls.attach(server);
    return server;
  }

  /** The TLS facts of a client that may go on, or null after refusing it. */
  private admittedPeer(listenerTls: ListenerTls, socket: tls.TLSSocket, virtualNodeId: number): TlsPeer | null {
    const refuse = (reason: string, err?: unknown): null => {
      this.log.warn({ reason, err, client: `${socket.remoteAddress}:${socket.remotePort}`, virtualNodeId }, 'client refused after its TLS handshake');
      socket.destroy();
      return null;
    };
    let peer: TlsPeer;
    try {
      peer = tlsPeerOf(socket) as TlsPeer;
    } catch (err) {
      return refuse('unreadable certificate subject', err);
    }
    if (peer.subject !== null && !peer.authorized) {
      return refuse(`certificate of ${peer.subject} not verified: ${String(socket.authorizationError)}`);
    }
    try {
      principalFromTls(peer, listenerTls.rules);
    } catch (err) {
      return refuse('no principal mapping rule applies to the certificate subject', err);
    }
    return peer;
  }

  private bind(server: net.Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ port, host: this.config.bindHost }, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}
