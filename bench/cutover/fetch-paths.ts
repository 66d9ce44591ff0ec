// What Turnout did for one read of the fetch comparison: how many Fetches took each path
// (turnout_multi_fetch_total{path}) and how many fetched partitions were translated from each
// segment (turnout_cutover_fetch_partitions_total{segment}), as the difference of two scrapes
// of its /metrics around the read, and the client requests it took by API
// (turnout_requests_total{api}, its versions summed). Shows whether a translated read streams
// or is gathered, and whether its reader asked anything the other did not. The two-backend
// case reads its produce runs' paths (turnout_multi_produce_total{path}) the same way.

/** Counter name → label value → count. */
export type FetchPathCounts = Record<string, Record<string, number>>;

const COUNTERS = {
  turnout_multi_fetch_total: 'path',
  turnout_multi_produce_total: 'path',
  turnout_cutover_fetch_partitions_total: 'segment',
  turnout_requests_total: 'api',
} as const;

/** The fetch counters of a Prometheus text exposition. */
export function parseFetchPathCounts(text: string): FetchPathCounts {
  const counts: FetchPathCounts = {};
  for (const line of text.split('\n')) {
    for (const [name, label] of Object.entries(COUNTERS)) {
      const m = new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"[^}]*\\} (\\S+)$`).exec(line);
      if (m === null) continue;
      const byLabel = (counts[name] ??= {});
      byLabel[m[1]] = (byLabel[m[1]] ?? 0) + Number(m[2]);
    }
  }
  return counts;
}

export async function scrapeFetchPathCounts(adminUrl: string): Promise<FetchPathCounts> {
  const res = await fetch(`${adminUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${adminUrl}/metrics answered ${res.status}`);
  return parseFetchPathCounts(await res.text());
}

/** after − before, counters that did not move left out. */
export function fetchPathDelta(before: FetchPathCounts, after: FetchPathCounts): FetchPathCounts {
  const delta: FetchPathCounts = {};
  for (const [name, values] of Object.entries(after)) {
    for (const [label, n] of Object.entries(values)) {
      const d = n - (before[name]?.[label] ?? 0);
      if (d !== 0) (delta[name] ??= {})[label] = d;
    }
  }
  return delta;
}

/** One line: `fetches gathered=3 forwarded_streamed=120; segment partitions 0=50 2=40; requests Fetch=123 Metadata=4`. */
export function formatFetchPaths(delta: FetchPathCounts): string {
  const part = (name: string): string =>
    Object.entries(delta[name] ?? {})
      .map(([k, n]) => `${k}=${n}`)
      .join(' ') || 'none';
  return `fetches ${part('turnout_multi_fetch_total')}; segment partitions ${part('turnout_cutover_fetch_partitions_total')}; requests ${part('turnout_requests_total')}`;
}
