// The TCP servers of one configured listener: a bootstrap port, and one port per virtual node
// (virtual node N listens on nodePortBase + N - nodeIdBase, or on an ephemeral port when the
// base is 0).
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { ListenerConfig } from '../policy/config.js';

/** Receives every accepted socket with where it was accepted. */
export type AcceptHandler = (socket: net.Socket, listenerName: string, virtualNodeId: number) => void;

export class ListenerGroup {
  readonly config: ListenerConfig;
  private readonly onAccept: AcceptHandler;
  private readonly log: Logger;
  private bootstrap: net.Server | null = null;
  private bootstrapBound = 0;
  private readonly nodes = new Map<number, { server: net.Server; port: number }>();
  private readonly binding = new Map<number, Promise<number>>();
  private closed = false;

  constructor(config: ListenerConfig, onAccept: AcceptHandler, log: Logger) {
    this.config = config;
    this.onAccept = onAccept;
    this.log = log.child({ listener: config.name });
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
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private createServer(virtualNodeId: number): net.Server {
    const server = net.createServer({ noDelay: true }, (socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.onAccept(socket, this.config.name, virtualNodeId);
    });
    server.on('error', (err) => this.log.error({ err, virtualNodeId }, 'listener error'));
    return server;
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
