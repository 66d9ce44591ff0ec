// What every client of a traffic run complained about: errors (an error a client logged or
// reported, a failed send or commit, a client that exited on its own) and warnings, each
// noted with the phase of the run it came in, and the first few texts of each kind to show.

/**
 * starting: clients joining, before the producers start; steady: the producers run;
 * draining: producers stopped, groups read to the end; stopping: consumers leave their groups.
 */
export type TrafficPhase = 'starting' | 'steady' | 'draining' | 'stopping';

export type IssueLevel = 'error' | 'warning';

const SAMPLES_KEPT = 5;

/** What a member says when its group rebalances because another member left. */
const REBALANCE_TEXT = /rebalanc|re-joining/i;

/**
 * One client's issues. Those of the starting phase are apart: clients forming their groups
 * log what they retry (kafkajs logs a SyncGroup answered "rebalancing" as an error), and
 * that is before anything the run measures. So are the rebalances of the stopping phase:
 * the run stops a group's members one after the other, and a member still in the group is
 * told that it rebalances (kafkajs logs that Heartbeat answer as an error too).
 */
export interface ClientIssueCounts {
  client: string;
  /** Once the groups had settled: steady, draining and stopping (but for the rebalances members leaving cause). */
  errors: number;
  warnings: number;
  errorsWhileStarting: number;
  warningsWhileStarting: number;
  /** The first texts, each prefixed with its level and phase. */
  samples: string[];
}

export class ClientIssues {
  private readonly counts: ClientIssueCounts;

  constructor(readonly client: string) {
    this.counts = { client, errors: 0, warnings: 0, errorsWhileStarting: 0, warningsWhileStarting: 0, samples: [] };
  }

  note(level: IssueLevel, text: string, phase: TrafficPhase): void {
    const c = this.counts;
    const starting = phase === 'starting' || (phase === 'stopping' && REBALANCE_TEXT.test(text));
    if (level === 'error') {
      if (starting) c.errorsWhileStarting++;
      else c.errors++;
    } else if (starting) c.warningsWhileStarting++;
    else c.warnings++;
    if (c.samples.length < SAMPLES_KEPT) c.samples.push(`${level} (${phase}): ${text.slice(0, 400)}`);
  }

  snapshot(): ClientIssueCounts {
    return { ...this.counts, samples: [...this.counts.samples] };
  }
}

/**
 * The level of a line a Java client wrote to stderr: its log (log4j pattern `[date] LEVEL
 * message (logger)`), a JVM warning, or text of its own (a tool's failure), which is an error;
 * null for a continuation (stack frames, causes) or a line below WARN.
 */
export function javaLogLevel(line: string): IssueLevel | null {
  const m = /^\[[^\]]*\] ([A-Z]+) /.exec(line);
  if (m !== null) return m[1] === 'WARN' ? 'warning' : m[1] === 'ERROR' || m[1] === 'FATAL' ? 'error' : null;
  if (line.trim() === '' || /^\s/.test(line) || line.startsWith('Caused by:')) return null;
  return /VM warning/.test(line) ? 'warning' : 'error';
}

/** The level of a librdkafka log line (`%LEVEL|time|FAC|...`, syslog levels), or null for an informational one. */
export function librdkafkaLogLevel(line: string): IssueLevel | null {
  const m = /^%(\d)\|/.exec(line);
  if (m === null) return line.trim() === '' ? null : 'error';
  const level = Number(m[1]);
  if (level <= 3) return 'error';
  return level === 4 ? 'warning' : null;
}
