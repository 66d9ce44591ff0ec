// How the demos' summaries write numbers, sizes, durations and verdict colours.
import type { LatencySummary } from './latency-stats.js';

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1_000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(2)} MB`;
  return `${(n / 1_000_000_000).toFixed(2)} GB`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1_000).toFixed(2)} s`;
}

export function latency(l: LatencySummary | undefined): string {
  if (l === undefined || l.count === 0) return '';
  return `p50 ${formatMs(l.p50)}, p99 ${formatMs(l.p99)}`;
}

/** `text` in an ANSI colour (32 green, 31 red, 33 yellow) when `on`. */
export function paint(text: string, code: number, on: boolean): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}
