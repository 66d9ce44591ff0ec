// What a Turnout instance says about zones (GET /v1/zones on its admin port): bytes it moved
// to and from backend brokers by client and broker zone, and the partitions and record bytes
// it fetched by the replica that served them. The zone benchmark reads every instance before
// and after a run and prints the difference next to the kernel's counters as a cross-check.
// Only the fields used here are parsed; the rest of the answer is ignored.
import { z } from 'zod';

const pairSchema = z.object({
  clientZone: z.string().nullable(),
  brokerZone: z.string(),
  crossZone: z.boolean(),
  toBrokerBytes: z.number(),
  fromBrokerBytes: z.number(),
});

const fetchSchema = z.object({
  clientZone: z.string().nullable(),
  brokerZone: z.string().nullable(),
  replica: z.enum(['leader', 'follower']),
  partitions: z.number(),
  recordBytes: z.number(),
});

export const zonesViewSchema = z.object({
  bytes: z.object({ pairs: z.array(pairSchema) }),
  routing: z
    .object({
      fetches: z.array(fetchSchema).default([]),
      followerRetries: z.record(z.string(), z.number()).default({}),
    })
    .optional(),
});

export type ZonesView = z.infer<typeof zonesViewSchema>;
export type ZonePair = z.infer<typeof pairSchema>;
export type ZoneFetch = z.infer<typeof fetchSchema>;

/** Zone of the instance → its answer. */
export type ZoneViews = Record<string, ZonesView>;

export interface FetchTally {
  partitions: number;
  recordBytes: number;
}

/** What the instances counted over a span of time, summed over instances. */
export interface TurnoutTally {
  /** Bytes to and from brokers of another zone than the client's. */
  crossZone: { toBrokerBytes: number; fromBrokerBytes: number };
  /** Bytes to and from brokers of the client's own zone. */
  inZone: { toBrokerBytes: number; fromBrokerBytes: number };
  /** Fetches by `clientZone>brokerZone:replica`, e.g. `az-a>az-a:follower`. */
  fetches: Record<string, FetchTally>;
  followerRetries: number;
}

export function emptyTally(): TurnoutTally {
  return { crossZone: { toBrokerBytes: 0, fromBrokerBytes: 0 }, inZone: { toBrokerBytes: 0, fromBrokerBytes: 0 }, fetches: {}, followerRetries: 0 };
}

export function fetchKey(clientZone: string | null, brokerZone: string | null, replica: 'leader' | 'follower'): string {
  return `${clientZone ?? 'none'}>${brokerZone ?? 'none'}:${replica}`;
}

function pairKey(p: ZonePair): string {
  return `${p.clientZone ?? 'none'}>${p.brokerZone}`;
}

/** The counts that moved between two readings of the same instances (since start, so after - before). */
export function tallyBetween(before: ZoneViews, after: ZoneViews): TurnoutTally {
  const tally = emptyTally();
  for (const [instance, now] of Object.entries(after)) {
    const then = before[instance];
    const earlierPairs = new Map((then?.bytes.pairs ?? []).map((p) => [pairKey(p), p]));
    for (const p of now.bytes.pairs) {
      const e = earlierPairs.get(pairKey(p));
      const side = p.crossZone ? tally.crossZone : tally.inZone;
      side.toBrokerBytes += p.toBrokerBytes - (e?.toBrokerBytes ?? 0);
      side.fromBrokerBytes += p.fromBrokerBytes - (e?.fromBrokerBytes ?? 0);
    }
    const earlierFetches = new Map((then?.routing?.fetches ?? []).map((f) => [fetchKey(f.clientZone, f.brokerZone, f.replica), f]));
    for (const f of now.routing?.fetches ?? []) {
      const key = fetchKey(f.clientZone, f.brokerZone, f.replica);
      const e = earlierFetches.get(key);
      const t = (tally.fetches[key] ??= { partitions: 0, recordBytes: 0 });
      t.partitions += f.partitions - (e?.partitions ?? 0);
      t.recordBytes += f.recordBytes - (e?.recordBytes ?? 0);
    }
    const retries = (v: ZonesView | undefined): number => Object.values(v?.routing?.followerRetries ?? {}).reduce((n, x) => n + x, 0);
    tally.followerRetries += retries(now) - retries(then);
  }
  return tally;
}

export interface FetchSplit {
  /** Record bytes fetched from a broker in the client's zone (follower or leader). */
  inZoneRecordBytes: number;
  /** Record bytes fetched from a broker in another zone: the fetch traffic that crossed. */
  crossZoneRecordBytes: number;
  /** Record bytes served by followers / by leaders, wherever they are. */
  followerRecordBytes: number;
  leaderRecordBytes: number;
}

/** Fetch record bytes by where they came from, optionally for one client zone only. */
export function fetchSplit(tally: TurnoutTally, clientZone?: string): FetchSplit {
  const split: FetchSplit = { inZoneRecordBytes: 0, crossZoneRecordBytes: 0, followerRecordBytes: 0, leaderRecordBytes: 0 };
  for (const [key, t] of Object.entries(tally.fetches)) {
    const m = /^(.*)>(.*):(leader|follower)$/.exec(key);
    if (m === null) continue;
    const [, client, broker, replica] = m;
    if (clientZone !== undefined && client !== clientZone) continue;
    if (client === broker && client !== 'none') split.inZoneRecordBytes += t.recordBytes;
    else split.crossZoneRecordBytes += t.recordBytes;
    if (replica === 'follower') split.followerRecordBytes += t.recordBytes;
    else split.leaderRecordBytes += t.recordBytes;
  }
  return split;
}
