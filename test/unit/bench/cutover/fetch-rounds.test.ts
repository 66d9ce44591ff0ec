// The cutover bench's fetch comparison: a warm-up round not counted, then rounds of both reads
// back to back with the order alternating, each read with a group of its own.
import { describe, expect, it } from 'vitest';
import type { FetchFigures } from '../../../../bench/cutover/cutover-report.js';
import { runFetchRounds, type FetchSide } from '../../../../bench/cutover/fetch-rounds.js';

function read(records: number, recordsPerSec: number): FetchFigures {
  return { records, mb: 1, fetchMs: 1_000, mbPerSec: 1, recordsPerSec, turnoutCpuMs: 10, sentMb: 1, fromBrokersMb: 1, paths: {} };
}

const translated: FetchSide = { topic: 'bench-move.fill', groupPrefix: 'bench-move.' };
const untranslated: FetchSide = { topic: 'bench-stay.fill', groupPrefix: 'bench-stay.' };

describe('the fetch rounds of the cutover bench', () => {
  it('reads both sides once to warm up, then alternates which goes first, each read with a fresh group of its domain', async () => {
    const reads: Array<[string, string]> = [];
    let n = 0;
    const rounds = await runFetchRounds({
      translated,
      untranslated,
      records: 10,
      rounds: 4,
      read: (side, group) => {
        reads.push([side.topic, group]);
        n++;
        return Promise.resolve(read(10, n * 100));
      },
      log: () => undefined,
    });
    expect(reads.map(([topic]) => topic)).toEqual([
      ...['bench-move.fill', 'bench-stay.fill'],
      ...['bench-stay.fill', 'bench-move.fill'],
      ...['bench-move.fill', 'bench-stay.fill'],
      ...['bench-stay.fill', 'bench-move.fill'],
      ...['bench-move.fill', 'bench-stay.fill'],
    ]);
    expect(new Set(reads.map(([, group]) => group)).size).toBe(10);
    for (const [topic, group] of reads) expect(group.startsWith(topic.startsWith('bench-move.') ? 'bench-move.' : 'bench-stay.')).toBe(true);
    // The warm-up (reads 1 and 2) is left out; each round keeps its own pair.
    expect(rounds.map((r) => [r.first, r.translated.recordsPerSec, r.untranslated.recordsPerSec])).toEqual([
      ['untranslated', 400, 300],
      ['translated', 500, 600],
      ['untranslated', 800, 700],
      ['translated', 900, 1000],
    ]);
  });

  it('stops on a read that got fewer records than asked', async () => {
    const run = runFetchRounds({ translated, untranslated, records: 10, rounds: 4, read: () => Promise.resolve(read(7, 1)), log: () => undefined });
    await expect(run).rejects.toThrow(/translated read of bench-move.fill got 7 of 10 records/);
  });
});
