// The single-cluster case's comparison of Turnout as one process against Turnout as two
// (`processes: 2`: a primary and two cluster workers behind the same ports): each one's
// throughput and CPU (summed over its process tree), and per round 2 processes over 1 and
// over direct. Both run the same records in the same rounds as the other paths.
import { perRound, cpuMsPerMbOf, ofPath, type MeasuredThroughputRun, type PathNumbers, type PerRound } from './comparison.js';
import { cpuCell, f } from './report-format.js';

export interface ProcessesThroughput {
  oneProcess: PathNumbers;
  twoProcesses: PathNumbers;
  /** Throughput (MB/s), 2 processes over 1. */
  twoToOne: PerRound;
  /** Throughput (MB/s), 2 processes over direct. */
  twoToDirect: PerRound;
  /** CPU per MB moved, 2 processes over 1 (what handing connections to workers costs). */
  cpuPerMbTwoToOne: PerRound;
}

export interface ProcessesSummary {
  produce: ProcessesThroughput;
  consume: ProcessesThroughput;
  /** Resident memory peaks (VmHWM, summed over the process tree), MB. */
  peakRssMb: { oneProcess: number; twoProcesses: number };
}

/** The comparison of the `turnout` and `turnout2` runs; `numbers` gives a path's medians, `mbPerSec` a run's throughput. */
export function compareProcesses<T extends MeasuredThroughputRun>(runs: readonly T[], numbers: (runs: T[]) => PathNumbers, mbPerSec: (run: T) => number): ProcessesThroughput {
  const ratio = (a: T, b: T): number => mbPerSec(a) / mbPerSec(b);
  return {
    oneProcess: numbers(ofPath(runs, 'turnout')),
    twoProcesses: numbers(ofPath(runs, 'turnout2')),
    twoToOne: perRound(runs, 'turnout2', 'turnout', ratio),
    twoToDirect: perRound(runs, 'turnout2', 'direct', ratio),
    cpuPerMbTwoToOne: perRound(runs, 'turnout2', 'turnout', (a, b) => cpuMsPerMbOf(a) / cpuMsPerMbOf(b)),
  };
}

const rounds = (values: readonly number[]): string => values.map((r) => r.toFixed(3)).join(', ');

function rows(label: string, t: ProcessesThroughput): string[] {
  const cell = (p: PathNumbers): string => `${f(p.mbPerSec)} MB/s`.padEnd(12) + cpuCell(p);
  return [
    `  ${label.padEnd(17)} 1 process ${cell(t.oneProcess)}2 processes ${cell(t.twoProcesses)}`,
    `  ${''.padEnd(17)} 2/1 ${f(t.twoToOne.value, 3)} (runs: ${rounds(t.twoToOne.runs)}), 2 processes/direct ${f(t.twoToDirect.value, 3)}, CPU per MB 2/1 ${f(t.cpuPerMbTwoToOne.value, 2)}`,
  ];
}

export function formatProcessesReport(s: ProcessesSummary): string[] {
  return [
    '',
    '  Turnout as 1 process and as 2 (processes: 2, a primary handing connections to two workers), same records, same rounds; CPU summed over each one\'s processes',
    ...rows('produce (perf)', s.produce),
    ...rows('consume (fetch)', s.consume),
    `  peak RSS          1 process ${f(s.peakRssMb.oneProcess, 0)} MB, 2 processes ${f(s.peakRssMb.twoProcesses, 0)} MB (primary included)`,
  ];
}
