// Whether the other Turnout instances of the virtual cluster (zoneRouting.peers) are serving,
// so that a client is never shown the nodes of a zone whose Turnout is gone: it would keep
// trying to connect there while its own zone's fallback is at hand.
//
// Each peer is asked ApiVersions on its first node port over one kept connection, every
// intervalMs. Turnout answers ApiVersions itself, and only once it knows its backends' api
// versions, so an answer says "this peer serves Kafka clients". A peer is down after
// `failuresBeforeDown` failed probes in a row (refused, timed out, or an error answer) and up
// again after one good one. Peers start up: an instance starting next to running peers must
// not send their clients elsewhere for the first interval.
import { ApiKey, createApiVersionsRequest, decodeApiVersionsResponse, encodeApiVersionsRequest } from '../codec/index.js';
import type { UpstreamConnection } from '../net/upstream-connection.js';
import type { UpstreamConnector } from '../net/upstream-connector.js';
import { sendRequest } from '../net/upstream-request.js';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { decodeResponseFrame, encodeRequestFrame } from '../codec/message-frames.js';

/** ApiVersions v0: every Kafka listener answers it, and its answer is the smallest. */
const PROBE_VERSION = 0;
const PROBE_CLIENT_ID = 'turnout-peer-probe';
/** An ApiVersions answer is a few hundred bytes; anything larger is not a Turnout node. */
const PROBE_MAX_FRAME_BYTES = 64 * 1024;
/** The probe, the same every time (the connection puts its own correlation id in). */
const PROBE_FRAME = encodeRequestFrame(
  { apiKey: ApiKey.ApiVersions, apiVersion: PROBE_VERSION, correlationId: 0, clientId: PROBE_CLIENT_ID },
  createApiVersionsRequest(),
  encodeApiVersionsRequest,
);

export interface ProbedPeer {
  readonly name: string;
  readonly zone: string;
  readonly host: string;
  readonly port: number;
}

export interface PeerHealthOptions {
  peers: readonly ProbedPeer[];
  intervalMs: number;
  timeoutMs: number;
  failuresBeforeDown: number;
  log: Logger;
  metrics: ProxyMetrics;
  /** Opens the probe connections (peers are Turnout instances: plain connections). */
  connector: UpstreamConnector;
  /** Called after a peer goes down or comes back. */
  onChange?: (peer: string, up: boolean) => void;
}

export interface PeerState {
  readonly name: string;
  readonly zone: string;
  readonly endpoint: string;
  readonly up: boolean;
  /** Failed probes in a row. */
  readonly failures: number;
  /** Why the last probe failed, while it is failing. */
  readonly lastError: string | null;
  /** When the peer last changed state (ms since the epoch), or null if it never has. */
  readonly sinceMs: number | null;
}

interface PeerEntry {
  readonly peer: ProbedPeer;
  up: boolean;
  failures: number;
  lastError: string | null;
  sinceMs: number | null;
  connection: UpstreamConnection | null;
  probing: boolean;
}

export class PeerHealth {
  private readonly opts: PeerHealthOptions;
  private readonly entries = new Map<string, PeerEntry>();
  private timer: NodeJS.Timeout | null = null;
  private readonly probeLog: Logger;

  constructor(opts: PeerHealthOptions) {
    this.opts = opts;
    this.probeLog = opts.log.child({ component: 'peer-health' }, { level: 'error' });
    for (const peer of opts.peers) {
      this.entries.set(peer.name, { peer, up: true, failures: 0, lastError: null, sinceMs: null, connection: null, probing: false });
      opts.metrics.zones.peerUp(peer.name, peer.zone, true);
    }
  }

  /** True unless the peer has failed `failuresBeforeDown` probes in a row (unknown names are up). */
  isUp(name: string): boolean {
    return this.entries.get(name)?.up ?? true;
  }

  states(): PeerState[] {
    return [...this.entries.values()].map((e) => ({
      name: e.peer.name,
      zone: e.peer.zone,
      endpoint: `${e.peer.host}:${e.peer.port}`,
      up: e.up,
      failures: e.failures,
      lastError: e.lastError,
      sinceMs: e.sinceMs,
    }));
  }

  start(): void {
    if (this.timer !== null || this.entries.size === 0) return;
    this.probeAll();
    this.timer = setInterval(() => this.probeAll(), this.opts.intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const e of this.entries.values()) {
      e.connection?.close('peer health closed');
      e.connection = null;
    }
  }

  /** Probes every peer now (the interval does this; tests and start call it directly). */
  probeAll(): Promise<void> {
    return Promise.all([...this.entries.values()].map((e) => this.probe(e))).then(() => undefined);
  }

  private async probe(e: PeerEntry): Promise<void> {
    // A probe still waiting (at most timeoutMs) is not doubled up.
    if (e.probing) return;
    e.probing = true;
    try {
      await this.askApiVersions(e);
      this.record(e, null);
    } catch (err) {
      e.connection?.close('peer probe failed');
      e.connection = null;
      this.record(e, err instanceof Error ? err.message : String(err));
    } finally {
      e.probing = false;
    }
  }

  private async askApiVersions(e: PeerEntry): Promise<void> {
    if (e.connection === null || e.connection.isClosed) e.connection = this.connect(e.peer);
    // The connection writes its correlation id into the frame it is given: each probe sends a copy.
    const answer = decodeResponseFrame(await sendRequest(e.connection, Buffer.from(PROBE_FRAME)), ApiKey.ApiVersions, PROBE_VERSION, decodeApiVersionsResponse).body;
    if (answer.errorCode !== 0) throw new Error(`ApiVersions answered error code ${answer.errorCode}`);
  }

  private connect(peer: ProbedPeer): UpstreamConnection {
    return this.opts.connector.open(
      { backend: `peer:${peer.name}`, brokerId: -1, host: peer.host, port: peer.port },
      { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined },
      {
        // A down peer fails every probe: its state changes are logged here, once each.
        log: this.probeLog,
        connectTimeoutMs: this.opts.timeoutMs,
        requestTimeoutMs: this.opts.timeoutMs,
        maxFrameBytes: PROBE_MAX_FRAME_BYTES,
        writeHighWaterBytes: PROBE_MAX_FRAME_BYTES,
      },
    );
  }

  private record(e: PeerEntry, error: string | null): void {
    const { name, zone, host, port } = e.peer;
    if (error === null) {
      e.failures = 0;
      e.lastError = null;
      if (e.up) return;
      e.up = true;
      e.sinceMs = Date.now();
      this.opts.log.info({ peer: name, zone, endpoint: `${host}:${port}` }, 'peer is serving again: its zone is shown its own nodes');
    } else {
      e.failures++;
      e.lastError = error;
      if (!e.up || e.failures < this.opts.failuresBeforeDown) return;
      e.up = false;
      e.sinceMs = Date.now();
      this.opts.log.warn({ peer: name, zone, endpoint: `${host}:${port}`, failures: e.failures, err: error }, 'peer is not answering: clients of its zone are shown another zone until it is back');
    }
    this.opts.metrics.zones.peerUp(name, zone, e.up);
    this.opts.onChange?.(name, e.up);
  }
}
