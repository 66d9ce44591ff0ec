// Turnout's own upstream connections, for requests it sends on no client's behalf (a real
// producer id per backend, for instance): one connection per backend broker, opened on first
// use, shared by those requests. It acts as a session so that routers send through it as they
// send through a client's connection.
import type { Logger } from '../observability/logger.js';
import type { LimitsConfig } from '../policy/config.js';
import type { KafkaPrincipal } from '../auth/principal.js';
import type { Deadline, FilterStateKey, RawFrameHandler, TlsPeer } from '../pipeline/filter.js';
import { sessionWithoutSocket } from '../pipeline/filter-states.js';
import type { FramePieces } from './frame-pieces.js';
import type { BrokerAddress, ClientSession } from './request-router.js';
import { UpstreamError, type UpstreamConnection, type UpstreamListener } from './upstream-connection.js';
import type { UpstreamConnector } from './upstream-connector.js';
import { sendRequest } from './upstream-request.js';

export interface OwnSessionOptions {
  limits: LimitsConfig;
  log: Logger;
  connector: UpstreamConnector;
}

export class OwnSession implements ClientSession, UpstreamListener {
  readonly connId = 0;
  readonly log: Logger;
  readonly listenerName = '';
  readonly virtualNodeId = -1;
  anyBrokerId = -1;
  private readonly filterFacts = sessionWithoutSocket();
  readonly clientHost = this.filterFacts.clientHost;
  readonly tls: TlsPeer | null = null;
  principal: KafkaPrincipal = this.filterFacts.principal;
  private readonly opts: OwnSessionOptions;
  private readonly upstreams = new Map<string, UpstreamConnection>();
  private closed = false;

  constructor(opts: OwnSessionOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'own-session' });
  }

  filterState<T>(key: FilterStateKey<T>): T {
    return this.filterFacts.filterState(key);
  }

  takeRawFrames(handler: RawFrameHandler): void {
    this.filterFacts.takeRawFrames(handler);
  }

  setDeadline(deadline: Deadline | null): void {
    this.filterFacts.setDeadline(deadline);
  }

  setFrameLimit(maxFrameBytes: number | null): void {
    this.filterFacts.setFrameLimit(maxFrameBytes);
  }

  sendUpstream(address: BrokerAddress, frame: Buffer | FramePieces, expectResponse: boolean): Promise<Buffer | null> {
    if (this.closed) return Promise.reject(new UpstreamError('closed', address.backend, address.brokerId, 'Turnout is closing'));
    const key = `${address.backend}/${address.brokerId}`;
    let upstream = this.upstreams.get(key);
    if (upstream === undefined || upstream.isClosed || upstream.host !== address.host || upstream.port !== address.port) {
      upstream?.close('broker address changed');
      upstream = this.opts.connector.open(address, this, {
        log: this.log,
        requestTimeoutMs: Math.min(this.opts.limits.upstreamRequestTimeoutMs, 30_000),
      });
      this.upstreams.set(key, upstream);
    }
    if (!expectResponse) {
      upstream.send(frame, null);
      return Promise.resolve(null);
    }
    return sendRequest(upstream, frame);
  }

  onUpstreamDrain(): void {}

  onUpstreamClosed(upstream: UpstreamConnection): void {
    const key = `${upstream.backend}/${upstream.brokerId}`;
    if (this.upstreams.get(key) === upstream) this.upstreams.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const u of this.upstreams.values()) u.close('shutdown');
    this.upstreams.clear();
  }
}
