// The cutover bench's fetch comparison: a translated read (the moved domain's fill topic,
// through its chain of segments) and an untranslated one (a topic of as many records in a
// domain that never moved), both through the same Turnout, read whole by
// kafka-consumer-perf-test with a fresh group each time. One warm-up round first (both reads,
// not counted: page cache, JIT, Turnout's connections), then `rounds` rounds of both reads back
// to back, the order alternating, so that neither read always has the warmer or the busier
// moment of a shared machine. Each read also gives Turnout's CPU time per MB read. The figures
// judged are the rounds' ratios (records/s, CPU per MB), order-balanced (cutover-report.ts).
import { rotation } from '../comparison.js';
import type { FetchFigures, FetchRound } from './cutover-report.js';

/** One side of the comparison: what to read. */
export interface FetchSide {
  topic: string;
  /** Consumer groups of the read start with this (a prefix of the topic's domain). */
  groupPrefix: string;
}

export interface FetchRoundsInput {
  translated: FetchSide;
  untranslated: FetchSide;
  /** Records each read takes (both topics hold as many). */
  records: number;
  rounds: number;
  /** Reads one side whole with a group of its own. */
  read: (side: FetchSide, group: string, records: number) => Promise<FetchFigures>;
  log: (line: string) => void;
}

const SIDES = ['translated', 'untranslated'] as const;

export async function runFetchRounds(input: FetchRoundsInput): Promise<FetchRound[]> {
  const rounds: FetchRound[] = [];
  // Round 0 is the warm-up.
  for (let round = 0; round <= input.rounds; round++) {
    const order = rotation(SIDES, round);
    const got: Partial<Record<(typeof SIDES)[number], FetchFigures>> = {};
    for (const which of order) {
      const side = input[which];
      const figures = await input.read(side, `${side.groupPrefix}fetch-${which}-${round}-${Date.now().toString(36)}`, input.records);
      if (figures.records < input.records) throw new Error(`the ${which} read of ${side.topic} got ${figures.records} of ${input.records} records`);
      got[which] = figures;
      input.log(`fetch ${round === 0 ? 'warm-up' : `round ${round}`}: ${which} ${figures.recordsPerSec.toFixed(0)} records/s`);
    }
    if (round > 0) rounds.push({ first: order[0], translated: got.translated as FetchFigures, untranslated: got.untranslated as FetchFigures });
  }
  return rounds;
}
