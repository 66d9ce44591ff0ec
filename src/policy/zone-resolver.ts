// Which availability zone a client is in, from what Turnout can see of it. In priority order:
//   client-id-tag  a `turnout_az=ZONE` tag in client.id (or the `ws_az=` / `automq_az=` tags
//                  other Kafka proxies and brokers read, so clients configured for them work)
//   fetch-rack     the Fetch request's rack_id (the consumer's client.rack), a zone name or a
//                  rack id one of the backends' rackZones maps to a zone
//   cidr           the client's source address in clientZones.cidrs (longest prefix wins)
//   listener       the zone of the listener the client connected to
//   none           no zone known
// A hint that names no configured zone is ignored, with the reason, and the next source is
// tried. Pure: the caller gathers the hints, this module only decides.
import type { TurnoutConfig } from './config.js';
import { CidrZoneMap } from './cidr-zone-map.js';

export type ZoneSource = 'client-id-tag' | 'fetch-rack' | 'cidr' | 'listener' | 'none';

/** Every source, the most trusted first. */
export const ZONE_SOURCES: readonly ZoneSource[] = ['client-id-tag', 'fetch-rack', 'cidr', 'listener', 'none'];

const RANK: Readonly<Record<ZoneSource, number>> = { 'client-id-tag': 4, 'fetch-rack': 3, cidr: 2, listener: 1, none: 0 };

/** Higher is more trusted; a session's zone only ever moves to a higher-ranked source. */
export function sourceRank(source: ZoneSource): number {
  return RANK[source];
}

/** client.id tag keys that carry a zone, the most specific first. */
export const ZONE_TAG_KEYS = ['turnout_az', 'ws_az', 'automq_az'] as const;
export type ZoneTagKey = (typeof ZONE_TAG_KEYS)[number];

export interface ZoneTag {
  key: ZoneTagKey;
  value: string;
}

// A key=value pair starting the client.id or following a comma, semicolon or whitespace, so
// `svc,turnout_az=a`, `svc turnout_az = a` and `turnout_az=a,rest` all match but
// `myturnout_az=a` does not.
const TAG_RE = /(?:^|[,;\s])\s*(turnout_az|ws_az|automq_az)\s*=\s*([^,;\s]*)/gi;

/** The zone tags in a client.id, in priority order of their keys, then in order of appearance. */
export function parseZoneTags(clientId: string | null | undefined): ZoneTag[] {
  if (clientId === null || clientId === undefined || clientId === '') return [];
  const tags: ZoneTag[] = [];
  for (const m of clientId.matchAll(TAG_RE)) {
    tags.push({ key: m[1].toLowerCase() as ZoneTagKey, value: m[2] });
  }
  return tags.sort((a, b) => ZONE_TAG_KEYS.indexOf(a.key) - ZONE_TAG_KEYS.indexOf(b.key));
}

/** The zone facts of a configuration, prepared for lookups. */
export interface ZoneModelInput {
  zones: readonly string[];
  /** Listener name → zone, for listeners that have one. */
  listenerZones: Iterable<readonly [string, string]>;
  /** CIDR range → zone. */
  cidrs: Iterable<readonly [string, string]>;
  /** Each backend's broker rack id → zone. */
  backendRackZones: Iterable<readonly [string, Readonly<Record<string, string>>]>;
}

export class ZoneModel {
  readonly zones: readonly string[];
  private readonly known: ReadonlySet<string>;
  private readonly listenerZones: ReadonlyMap<string, string>;
  private readonly cidrs: CidrZoneMap;
  private readonly rackZonesByBackend: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Rack id → the zones backends map it to (a client's rack names no backend). */
  private readonly zonesOfRack = new Map<string, Set<string>>();

  constructor(input: ZoneModelInput) {
    this.zones = [...input.zones];
    this.known = new Set(input.zones);
    this.listenerZones = new Map(input.listenerZones);
    this.cidrs = new CidrZoneMap(input.cidrs);
    const byBackend = new Map<string, ReadonlyMap<string, string>>();
    for (const [backend, rackZones] of input.backendRackZones) {
      byBackend.set(backend, new Map(Object.entries(rackZones)));
      for (const [rack, zone] of Object.entries(rackZones)) {
        let zones = this.zonesOfRack.get(rack);
        if (zones === undefined) this.zonesOfRack.set(rack, (zones = new Set()));
        zones.add(zone);
      }
    }
    this.rackZonesByBackend = byBackend;
  }

  /** A model with no zones: every client resolves to none. */
  static empty(): ZoneModel {
    return new ZoneModel({ zones: [], listenerZones: [], cidrs: [], backendRackZones: [] });
  }

  isZone(name: string): boolean {
    return this.known.has(name);
  }

  listenerZone(listenerName: string): string | null {
    return this.listenerZones.get(listenerName) ?? null;
  }

  /** The zone of a backend broker from its rack, or null when the rack maps to no configured zone. */
  brokerZone(backend: string, rack: string | null): string | null {
    if (rack === null) return null;
    const zone = this.rackZonesByBackend.get(backend)?.get(rack);
    return zone !== undefined && this.known.has(zone) ? zone : null;
  }

  /** The zone a client's rack id stands for: a zone name itself, or a rack the backends map to one zone. */
  zoneOfClientRack(rack: string): { zone: string } | { reason: string } {
    if (this.known.has(rack)) return { zone: rack };
    const zones = this.zonesOfRack.get(rack);
    if (zones === undefined) return { reason: 'names no configured zone and no rack in any backend\'s rackZones' };
    const configured = [...zones].filter((z) => this.known.has(z));
    if (configured.length === 0) return { reason: `maps to ${[...zones].join(', ')}, not a configured zone` };
    if (configured.length > 1) return { reason: `backends map this rack to different zones (${configured.sort().join(', ')})` };
    return { zone: configured[0] };
  }

  cidrZone(remoteAddress: string | undefined): { zone: string; range: string } | null {
    return this.cidrs.lookup(remoteAddress);
  }
}

/** Builds the zone model of a validated configuration. */
export function zoneModelOf(config: Pick<TurnoutConfig, 'zones' | 'listeners' | 'clientZones' | 'backends'>): ZoneModel {
  return new ZoneModel({
    zones: config.zones,
    listenerZones: config.listeners.flatMap((l) => (l.zone === undefined ? [] : [[l.name, l.zone] as const])),
    cidrs: Object.entries(config.clientZones.cidrs),
    backendRackZones: config.backends.map((b) => [b.name, b.rackZones] as const),
  });
}

/** What Turnout has seen of a client so far. */
export interface ZoneHints {
  clientId?: string | null;
  /** rack_id of a Fetch request (v11+); empty when the consumer set no client.rack. */
  fetchRackId?: string | null;
  /** The socket's remote address as Node reports it. */
  remoteAddress?: string;
  listenerName?: string;
}

/** A hint that was present but not used, and why. */
export interface IgnoredZoneHint {
  source: ZoneSource;
  /** What the client sent: `turnout_az=az-x`, the rack id, the address. */
  value: string;
  reason: string;
}

export interface ZoneDecision {
  /** The client's zone, or null when no source gave one. */
  zone: string | null;
  source: ZoneSource;
  /** What gave the zone: the tag (`ws_az=az-a`), the rack id, the CIDR range, the listener name. */
  evidence: string | null;
  ignored: IgnoredZoneHint[];
}

/** Decides a client's zone from the hints, the most trusted source that names a configured zone. */
export function resolveZone(model: ZoneModel, hints: ZoneHints): ZoneDecision {
  const ignored: IgnoredZoneHint[] = [];
  const decided = (zone: string, source: ZoneSource, evidence: string): ZoneDecision => ({ zone, source, evidence, ignored });

  for (const tag of parseZoneTags(hints.clientId)) {
    const value = `${tag.key}=${tag.value}`;
    if (tag.value === '') ignored.push({ source: 'client-id-tag', value, reason: 'empty zone name' });
    else if (!model.isZone(tag.value)) ignored.push({ source: 'client-id-tag', value, reason: `"${tag.value}" is not a configured zone` });
    else return decided(tag.value, 'client-id-tag', value);
  }

  const rack = hints.fetchRackId;
  if (rack !== null && rack !== undefined && rack !== '') {
    const r = model.zoneOfClientRack(rack);
    if ('zone' in r) return decided(r.zone, 'fetch-rack', rack);
    ignored.push({ source: 'fetch-rack', value: rack, reason: r.reason });
  }

  const byAddress = model.cidrZone(hints.remoteAddress);
  if (byAddress !== null) return decided(byAddress.zone, 'cidr', byAddress.range);

  const listenerZone = hints.listenerName === undefined ? null : model.listenerZone(hints.listenerName);
  if (listenerZone !== null && hints.listenerName !== undefined) return decided(listenerZone, 'listener', hints.listenerName);

  return { zone: null, source: 'none', evidence: null, ignored };
}
