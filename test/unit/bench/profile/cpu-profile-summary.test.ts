import { describe, expect, it } from 'vitest';
import { formatSummary, selfTimeMatching, summarizeProfile } from '../../../../bench/profile/cpu-profile-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

/** Samples 1 ms apart from t=1000 µs: root idle, then `write` twice, `(garbage collector)`, `onData` of a file. */
const profile = {
  startTime: 1000,
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('writeBuffer') },
    { id: 4, callFrame: frame('(garbage collector)') },
    { id: 5, callFrame: frame('onData', 'file:///work/dist/src/net/upstream-connection.js', 323) },
    { id: 6, callFrame: frame('inc', 'file:///work/node_modules/prom-client/lib/counter.js', 39) },
  ],
  samples: [2, 3, 3, 4, 5, 6, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 2000, 1000],
};

describe('summarizeProfile', () => {
  it('charges each sample\'s time to its function and leaves idle time out of busy', () => {
    const s = summarizeProfile(profile);
    expect(s.idleMs).toBe(2);
    expect(s.busyMs).toBe(6);
    expect(s.functions[0]).toEqual({ name: 'writeBuffer', selfMs: 2 });
    expect(s.functions.map((f) => f.name)).toContain('onData upstream-connection.js:324');
    expect(s.functions.map((f) => f.name)).toContain('inc prom-client/lib/counter.js:40');
  });

  it('counts only the samples inside a window of the monotonic clock', () => {
    // Samples land at 2000, 3000, 4000, 5000, 6000, 8000, 9000 µs: 4000..6000 holds the second write, the GC and onData.
    const s = summarizeProfile(profile, { fromUs: 4000, toUs: 6000 });
    expect(s.busyMs).toBe(3);
    expect(s.functions.find((f) => f.name === 'writeBuffer')?.selfMs).toBe(1);
  });

  it('sums the functions a pattern matches, and prints per MB and per request', () => {
    const s = summarizeProfile(profile);
    expect(selfTimeMatching(s, [/prom-client/, /^nothing$/])).toEqual([2, 0]);
    const table = formatSummary(s, 2, { mb: 2, requests: 4 });
    expect(table).toContain('busy 6 ms (idle 2 ms), 3.00 ms/MB, 1500.0 µs/request');
    expect(table).toContain('| 2.0 | 33.3% | 1.000 | 500.00 | writeBuffer |');
    expect(table.split('\n')).toHaveLength(5);
  });
});
