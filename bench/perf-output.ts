// Parsers for the output of Kafka's perf tools. The tools print for people, so the parsers
// look for the one line that carries the result and ignore everything else (progress windows,
// warnings, log lines, a metrics dump). Numbers may use a decimal comma when the JVM runs
// in such a locale; the bench pins en-US, but the parsers accept both.

/** The final line of kafka-producer-perf-test. MB is 2^20 bytes, as the tool counts it. */
export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** The result row of kafka-consumer-perf-test. */
export interface ConsumerPerfResult {
  /** Records consumed. */
  records: number;
  /** MB (2^20 bytes) consumed. */
  mb: number;
  /** Throughput over the whole run, the group join included. */
  mbPerSec: number;
  recordsPerSec: number;
  /** Time to join the group, ms. */
  rebalanceMs: number;
  /** Time spent fetching (run time less the group join), ms. */
  fetchMs: number;
  /** Throughput while fetching: the consume throughput the bench compares. */
  fetchMbPerSec: number;
  fetchRecordsPerSec: number;
}

export class PerfOutputError extends Error {
  constructor(readonly tool: string, reason: string, readonly output: string) {
    super(`${tool}: ${reason}; output ends with: ${output.trimEnd().slice(-600)}`);
    this.name = 'PerfOutputError';
  }
}

const NUM = String.raw`(-?\d+(?:[.,]\d+)?)`;

function num(text: string): number {
  return Number(text.replace(',', '.'));
}

// "50000 records sent, 1659.9 records/sec (1.62 MB/sec), 11549.86 ms avg latency,
//  18673.00 ms max latency, 12366 ms 50th, 17864 ms 95th, 18389 ms 99th, 18632 ms 99.9th."
const PRODUCER_FINAL = new RegExp(
  String.raw`(\d+) records sent, ${NUM} records/sec \(${NUM} MB/sec\), ${NUM} ms avg latency, ${NUM} ms max latency, ${NUM} ms 50th, ${NUM} ms 95th, ${NUM} ms 99th, ${NUM} ms 99[.,]9th`,
);

/** Finds the final summary line of kafka-producer-perf-test (the one with percentiles). */
export function parseProducerPerf(stdout: string): ProducerPerfResult {
  let found: RegExpExecArray | null = null;
  for (const line of stdout.split('\n')) {
    const m = PRODUCER_FINAL.exec(line);
    if (m !== null) found = m;
  }
  if (found === null) throw new PerfOutputError('kafka-producer-perf-test', 'no final summary line with percentiles', stdout);
  const [, records, rps, mbps, avg, max, p50, p95, p99, p999] = found as unknown as string[];
  return {
    records: Number(records),
    recordsPerSec: num(rps as string),
    mbPerSec: num(mbps as string),
    avgLatencyMs: num(avg as string),
    maxLatencyMs: num(max as string),
    p50Ms: num(p50 as string),
    p95Ms: num(p95 as string),
    p99Ms: num(p99 as string),
    p999Ms: num(p999 as string),
  };
}

/** Column order of kafka-consumer-perf-test's result row (Kafka 2.x to 4.x). */
export const CONSUMER_PERF_COLUMNS = [
  'start.time',
  'end.time',
  'data.consumed.in.MB',
  'MB.sec',
  'data.consumed.in.nMsg',
  'nMsg.sec',
  'rebalance.time.ms',
  'fetch.time.ms',
  'fetch.MB.sec',
  'fetch.nMsg.sec',
] as const;

const DATE_FIELD = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/;

/**
 * Finds the result row of kafka-consumer-perf-test: the row after its header when there is
 * one (columns are then read by name), else the last row that starts with two dates and has
 * the usual ten columns (--hide-header).
 */
export function parseConsumerPerf(stdout: string): ConsumerPerfResult {
  const lines = stdout.split('\n').map((l) => l.trim());
  let columns: readonly string[] = CONSUMER_PERF_COLUMNS;
  let row: string[] | undefined;
  for (const line of lines) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.includes('data.consumed.in.MB')) {
      columns = fields;
      continue;
    }
    // A decimal comma would split numbers; such rows have more fields than columns.
    if (fields.length === columns.length && DATE_FIELD.test(fields[0] ?? '') && DATE_FIELD.test(fields[1] ?? '')) row = fields;
  }
  if (row === undefined) throw new PerfOutputError('kafka-consumer-perf-test', 'no result row', stdout);
  const field = (name: string): number => {
    const i = columns.indexOf(name);
    const value = i < 0 ? undefined : row?.[i];
    const n = value === undefined ? Number.NaN : num(value);
    if (!Number.isFinite(n)) throw new PerfOutputError('kafka-consumer-perf-test', `no number in column ${name}`, stdout);
    return n;
  };
  return {
    records: field('data.consumed.in.nMsg'),
    mb: field('data.consumed.in.MB'),
    mbPerSec: field('MB.sec'),
    recordsPerSec: field('nMsg.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    fetchMs: field('fetch.time.ms'),
    fetchMbPerSec: field('fetch.MB.sec'),
    fetchRecordsPerSec: field('fetch.nMsg.sec'),
  };
}
