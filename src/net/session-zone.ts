// The zone of one client connection, kept up to date as the client shows more of itself.
//
// At accept only the source address and listener are known. The first request brings
// client.id (clients keep it for the life of a connection, so later headers are not read
// again); the first Fetch v11+ brings rack_id (a consumer's client.rack, also fixed), which is
// read once and only while no client.id tag has already decided. The zone only moves to a
// more trusted source (zone-resolver.ts), and each decision is logged once and counted.
import { ApiKey, decodeRequestBody, decodeRequestHeader } from '../codec/index.js';
import type { Logger } from '../observability/logger.js';
import type { ZoneDirection, ZoneMetrics } from '../observability/zone-metrics.js';
import { resolveZone, sourceRank, ZoneModel, type IgnoredZoneHint, type ZoneDecision, type ZoneHints, type ZoneSource } from '../policy/zone-resolver.js';
import type { BrokerAddress } from './request-router.js';

/** First Fetch version with rack_id (KIP-392). */
const FETCH_FIRST_RACK_VERSION = 11;
/** The request frames here carry their int32 size prefix. */
const SIZE_PREFIX_BYTES = 4;

/** What a client connection needs to know zones. */
export interface ZoneContext {
  model: ZoneModel;
  /** The zone of a backend broker (its rack through the backend's rackZones), or null. */
  brokerZone(address: BrokerAddress): string | null;
}

/** What a zone context reads of a backend's topology. */
export interface BrokerRacks {
  readonly backend: string;
  broker(brokerId: number): { rack: string | null } | undefined;
}

/** A zone context over the backends' topologies: a broker's zone is its current rack's. */
export function zoneContextOf(model: ZoneModel, backends: readonly BrokerRacks[]): ZoneContext {
  return {
    model,
    brokerZone: (address) => {
      const rack = backends.find((b) => b.backend === address.backend)?.broker(address.brokerId)?.rack ?? null;
      return model.brokerZone(address.backend, rack);
    },
  };
}

/** A context without zones: every client resolves to none and no bytes are counted by zone. */
export const NO_ZONES: ZoneContext = { model: ZoneModel.empty(), brokerZone: () => null };

/** Counts one upstream connection's bytes by the client's zone and its broker's zone. */
export interface UpstreamZoneTally {
  readonly brokerZone: string;
  count(direction: ZoneDirection, bytes: number): void;
}

/** One connection's zone as the admin API shows it. */
export interface SessionZoneView {
  zone: string | null;
  source: ZoneSource;
  /** What gave the zone: the tag, the rack id, the CIDR range or the listener name. */
  evidence: string | null;
  clientId: string | null;
}

export interface SessionZoneOptions {
  model: ZoneModel;
  remoteAddress: string | undefined;
  listenerName: string;
  log: Logger;
  metrics: ZoneMetrics;
}

export class SessionZone {
  private readonly model: ZoneModel;
  private readonly log: Logger;
  private readonly metrics: ZoneMetrics;
  private readonly hints: ZoneHints;
  private decision: ZoneDecision;
  private clientIdRead = false;
  private rackRead = false;
  /** Ignored hints already logged, so each is reported once. */
  private ignoredLogged = 0;

  constructor(opts: SessionZoneOptions) {
    this.model = opts.model;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.hints = { remoteAddress: opts.remoteAddress, listenerName: opts.listenerName };
    // Usable by routers from the first byte; announced once client.id is known.
    this.decision = resolveZone(this.model, this.hints);
  }

  get zone(): string | null {
    return this.decision.zone;
  }

  get source(): ZoneSource {
    return this.decision.source;
  }

  view(): SessionZoneView {
    return { zone: this.decision.zone, source: this.decision.source, evidence: this.decision.evidence, clientId: this.hints.clientId ?? null };
  }

  /**
   * Looks at a request frame (size prefix included) for zone hints. Never throws: a header or
   * Fetch this cannot decode gives no hint, and the router decides what to do with the frame.
   */
  observeRequest(frame: Buffer, apiKey: number, apiVersion: number): void {
    if (!this.clientIdRead) {
      this.clientIdRead = true;
      this.hints.clientId = readClientId(frame);
      this.reconsider(true);
    }
    if (this.wantsFetchRack(apiKey, apiVersion)) {
      this.rackRead = true;
      const rack = readFetchRackId(frame);
      if (rack !== null && rack !== '') {
        this.hints.fetchRackId = rack;
        this.reconsider(false);
      }
    }
  }

  /**
   * Whether `observeRequest` would look at a request of this api: the first request (its client
   * id), and a Fetch that may name a rack. Lets the caller not build a frame it would not read.
   */
  wantsRequest(apiKey: number, apiVersion: number): boolean {
    return !this.clientIdRead || this.wantsFetchRack(apiKey, apiVersion);
  }

  private wantsFetchRack(apiKey: number, apiVersion: number): boolean {
    return apiKey === ApiKey.Fetch && apiVersion >= FETCH_FIRST_RACK_VERSION && !this.rackRead && sourceRank(this.decision.source) < sourceRank('fetch-rack');
  }

  /** A tally for an upstream connection to a broker in `brokerZone`. */
  tallyFor(brokerZone: string): UpstreamZoneTally {
    const metrics = this.metrics;
    return {
      brokerZone,
      count: (direction, bytes) => metrics.brokerBytes(this.decision.zone, brokerZone, direction, bytes),
    };
  }

  private reconsider(first: boolean): void {
    const next = resolveZone(this.model, this.hints);
    const previous = this.decision;
    // Hints only accumulate, so the next decision is never less trusted than the previous.
    const adopt = first || sourceRank(next.source) > sourceRank(previous.source);
    this.logIgnored(next.ignored, adopt);
    if (!adopt) return;
    this.decision = next;
    const d = next;
    this.metrics.decided(d.zone, d.source);
    this.log.info(
      {
        zone: d.zone,
        zoneSource: d.source,
        evidence: d.evidence,
        clientId: this.hints.clientId ?? null,
        ...(first ? {} : { previousZone: previous.zone, previousZoneSource: previous.source }),
        ...(d.ignored.length > 0 ? { ignoredZoneHints: d.ignored } : {}),
      },
      first ? 'client zone decided' : 'client zone changed',
    );
  }

  /** Hints ignored and not part of a decision line get a line of their own. */
  private logIgnored(ignored: readonly IgnoredZoneHint[], inDecisionLine: boolean): void {
    if (ignored.length <= this.ignoredLogged) return;
    const fresh = ignored.slice(this.ignoredLogged);
    this.ignoredLogged = ignored.length;
    if (!inDecisionLine) this.log.info({ zone: this.decision.zone, zoneSource: this.decision.source, ignoredZoneHints: fresh }, 'client zone hint ignored');
  }
}

function readClientId(frame: Buffer): string | null {
  try {
    return decodeRequestHeader(frame.subarray(SIZE_PREFIX_BYTES)).clientId;
  } catch {
    return null;
  }
}

function readFetchRackId(frame: Buffer): string | null {
  try {
    const body = frame.subarray(SIZE_PREFIX_BYTES);
    const header = decodeRequestHeader(body);
    return decodeRequestBody(ApiKey.Fetch, header.apiVersion, body.subarray(header.headerSizeBytes)).rackId;
  } catch {
    return null;
  }
}
