// The cutover bench's per-read counts from Turnout's /metrics: Fetch paths, partitions per
// segment, and client requests by API with their versions summed.
import { describe, expect, it } from 'vitest';
import { fetchPathDelta, formatFetchPaths, parseFetchPathCounts } from '../../../../bench/cutover/fetch-paths.js';

const before = [
  '# HELP turnout_requests_total Requests received from clients, by api and version',
  'turnout_requests_total{api="Fetch",version="12"} 10',
  'turnout_requests_total{api="Fetch",version="13"} 5',
  'turnout_requests_total{api="Metadata",version="12"} 2',
  'turnout_multi_fetch_total{path="forwarded_streamed"} 7',
  'turnout_cutover_fetch_partitions_total{segment="0"} 3',
].join('\n');

const after = [
  'turnout_requests_total{api="Fetch",version="12"} 30',
  'turnout_requests_total{api="Fetch",version="13"} 6',
  'turnout_requests_total{api="Metadata",version="12"} 2',
  'turnout_requests_total{api="ListOffsets",version="7"} 6',
  'turnout_multi_fetch_total{path="forwarded_streamed"} 27',
  'turnout_multi_fetch_total{path="gathered"} 1',
  'turnout_cutover_fetch_partitions_total{segment="0"} 3',
  'turnout_cutover_fetch_partitions_total{segment="2"} 12',
].join('\n');

describe('the per-read Turnout counts of the cutover bench', () => {
  it('sums an API\'s requests over its versions and leaves out what did not move', () => {
    expect(parseFetchPathCounts(before).turnout_requests_total).toEqual({ Fetch: 15, Metadata: 2 });
    const delta = fetchPathDelta(parseFetchPathCounts(before), parseFetchPathCounts(after));
    expect(delta).toEqual({
      turnout_requests_total: { Fetch: 21, ListOffsets: 6 },
      turnout_multi_fetch_total: { forwarded_streamed: 20, gathered: 1 },
      turnout_cutover_fetch_partitions_total: { '2': 12 },
    });
    expect(formatFetchPaths(delta)).toBe('fetches forwarded_streamed=20 gathered=1; segment partitions 2=12; requests Fetch=21 ListOffsets=6');
  });
});
