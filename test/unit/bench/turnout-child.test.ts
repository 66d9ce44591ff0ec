import { describe, expect, it } from 'vitest';
import { parseBytesMetrics } from '../../../bench/turnout-child.js';

describe('parseBytesMetrics', () => {
  it('reads the byte counters from /metrics', () => {
    const text = [
      '# HELP turnout_bytes_total Bytes moved, by side (client, upstream) and direction (in, out) as seen from Turnout',
      '# TYPE turnout_bytes_total counter',
      'turnout_bytes_total{side="client",direction="in"} 104857600',
      'turnout_bytes_total{side="client",direction="out"} 2048',
      'turnout_bytes_total{side="upstream",direction="in"} 1.5e+3',
      'turnout_bytes_total{side="upstream",direction="out"} 104857000',
      'turnout_active_connections{side="client"} 3',
    ].join('\n');
    expect(parseBytesMetrics(text)).toEqual({ 'client/in': 104_857_600, 'client/out': 2_048, 'upstream/in': 1_500, 'upstream/out': 104_857_000 });
  });
});
