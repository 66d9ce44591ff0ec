// The figures the zone report prints for one run, derived from its counters: cross-zone client
// bytes split into produce payload sent to another zone's leader, fetch payload read from
// another zone, and the rest (control traffic: metadata, group coordination, and protocol and
// TCP/IP overhead); the idle control rate; Turnout's own counts next to the kernel's; latency.
import { summarizeLatency, type LatencySummary } from './latency-histogram.js';
import type { ZoneRunResult } from './traffic-report.js';
import { fetchSplit, type FetchSplit } from './turnout-zone-view.js';

export interface RunFigures {
  /** Client bytes that left a zone, on the wire (veth counters). */
  clientCrossBytes: number;
  /** Produce payload written to a leader in another zone (from the topic's leaders; every mode produces to leaders). */
  produceToRemoteLeaderBytes: number;
  /**
   * Fetch payload that crossed zones: Turnout's fetch counts in turnout mode, the leaders and
   * the group's assignment for clients that fetch from leaders; undefined when neither says.
   */
  fetchCrossBytes: number | undefined;
  fetchCrossSource: 'turnout' | 'leaders' | 'unknown';
  /** Cross-zone client bytes that are neither: control traffic and protocol overhead. */
  otherCrossBytes: number | undefined;
  otherCrossBytesPerSecond: number | undefined;
  /** Cross-zone client bytes a second with no records moving: the control budget. */
  idleCrossBytesPerSecond: number;
  /** Fetch record bytes consumers got, by source (turnout mode). */
  fetches?: FetchSplit;
  /** Kernel cross-zone client bytes per byte Turnout counted to and from other zones' brokers. */
  kernelPerTurnoutCrossByte?: number;
  latency: LatencySummary | undefined;
}

const perSecond = (bytes: number, ms: number): number => (ms > 0 ? (bytes * 1000) / ms : 0);

export function runFigures(run: ZoneRunResult): RunFigures {
  const clientCrossBytes = run.traffic.client.outBytes;
  const produceToRemoteLeaderBytes = run.leaderPath.produceBytes;
  const fetches = run.turnout !== undefined ? fetchSplit(run.turnout) : undefined;
  const fetchCrossSource = fetches !== undefined ? 'turnout' : run.fetchPath === 'leaders' ? 'leaders' : 'unknown';
  const fetchCrossBytes = fetches !== undefined ? fetches.crossZoneRecordBytes : run.fetchPath === 'leaders' ? run.leaderPath.fetchBytes : undefined;
  const otherCrossBytes = fetchCrossBytes !== undefined ? clientCrossBytes - produceToRemoteLeaderBytes - fetchCrossBytes : undefined;
  const turnoutCross = run.turnout !== undefined ? run.turnout.crossZone.toBrokerBytes + run.turnout.crossZone.fromBrokerBytes : 0;
  return {
    clientCrossBytes,
    produceToRemoteLeaderBytes,
    fetchCrossBytes,
    fetchCrossSource,
    otherCrossBytes,
    otherCrossBytesPerSecond: otherCrossBytes !== undefined ? perSecond(otherCrossBytes, run.elapsedMs) : undefined,
    idleCrossBytesPerSecond: perSecond(run.idle.traffic.client.outBytes, run.idle.elapsedMs),
    ...(fetches !== undefined ? { fetches } : {}),
    ...(turnoutCross > 0 ? { kernelPerTurnoutCrossByte: clientCrossBytes / turnoutCross } : {}),
    latency: summarizeLatency(run.latencyMs),
  };
}
