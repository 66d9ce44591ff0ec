// The Java test programs that write and read records for the proxy-case tests
// (./java/RecordWriter, RecordReader, TransactionalWriter), run to their end with their JSON
// lines parsed. The Java client is the reference client: what it writes and reads through
// Turnout is compared with what the cluster holds.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { runJavaProgram, runJavaProgramToEnd, type ProcessResult } from './multi-backend-helpers.js';

/** A record RecordWriter had acknowledged. */
export interface WrittenRecord {
  topic: string;
  seq: number;
  key: string;
  partition: number;
  offset: number;
  valueBytes: number;
  valueSha256: string;
}

/** A record RecordWriter's producer failed to deliver, with the error it reported. */
export interface FailedRecord {
  topic: string;
  seq: number;
  error: string;
}

export interface WriteOptions {
  records: number;
  /** Value size; default: just "<topic>#<seq>|". */
  valueBytes?: number;
  /** Spread record <seq> to partition <seq> % partitions; default 0: by key. */
  partitions?: number;
  /** Producer properties. */
  props?: Record<string, string>;
  /** JVM options after the defaults (they override them). */
  jvmOptions?: readonly string[];
  timeoutMs?: number;
}

export interface WriteOutcome {
  written: WrittenRecord[];
  failed: FailedRecord[];
  result: ProcessResult;
}

function lines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function propertyArgs(props: Record<string, string> = {}): string[] {
  return Object.entries(props).map(([k, v]) => `${k}=${v}`);
}

/**
 * Writes `records` records to each target with RecordWriter (one producer per target);
 * a target is a topic, or `topic=codec` for a producer with that compression.type.
 */
export async function writeRecords(bootstrap: string, targets: readonly string[], opts: WriteOptions): Promise<WriteOutcome> {
  const args = [bootstrap, String(opts.records), String(opts.valueBytes ?? 0), String(opts.partitions ?? 0), targets.join(','), ...propertyArgs(opts.props)];
  const result = await runJavaProgram('RecordWriter', args, { timeoutMs: opts.timeoutMs ?? 180_000, ...(opts.jvmOptions !== undefined ? { jvmOptions: opts.jvmOptions } : {}) });
  const written: WrittenRecord[] = [];
  const failed: FailedRecord[] = [];
  for (const line of lines<WrittenRecord | FailedRecord>(result.stdout)) {
    if ('error' in line) failed.push(line);
    else written.push(line);
  }
  return { written, failed, result };
}

/** A record RecordReader read (value null when over 1 KiB). */
export interface ReadBackRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  valueBytes: number;
  valueSha256: string | null;
}

export interface ReadOptions {
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Consumer properties. */
  props?: Record<string, string>;
  jvmOptions?: readonly string[];
  maxRunMs?: number;
}

/** Reads topics from the beginning to their end with RecordReader (no group), in the order the consumer returned the records. */
export async function readRecords(bootstrap: string, topics: readonly string[], opts: ReadOptions = {}): Promise<ReadBackRecord[]> {
  const maxRunMs = opts.maxRunMs ?? 90_000;
  const args = [bootstrap, opts.isolation ?? 'read_uncommitted', topics.join(','), String(maxRunMs), ...propertyArgs(opts.props)];
  const result = await runJavaProgram('RecordReader', args, { timeoutMs: maxRunMs + 60_000, ...(opts.jvmOptions !== undefined ? { jvmOptions: opts.jvmOptions } : {}) });
  const out = lines<ReadBackRecord | { done: true; records: number }>(result.stdout);
  const summary = out.pop();
  if (summary === undefined || !('done' in summary)) throw new Error(`RecordReader printed no summary line; stdout ends: ${result.stdout.slice(-1_000)}`);
  const records = out as ReadBackRecord[];
  if (records.length !== summary.records) throw new Error(`RecordReader counted ${summary.records} records but printed ${records.length}`);
  return records;
}

/** A record TransactionalWriter had acknowledged inside transaction `txn`. */
export interface TransactionalRecord {
  txn: number;
  topic: string;
  key: string;
  value: string;
  partition: number;
  offset: number;
}

export interface TransactionsOutcome {
  records: TransactionalRecord[];
  /** Outcome of each transaction, by number. */
  outcomes: Map<number, 'committed' | 'aborted'>;
}

/**
 * Runs one transaction per letter of `outcomes` (C commits, A aborts) with TransactionalWriter,
 * each writing `perTransaction` records to every topic.
 */
export async function writeTransactions(
  bootstrap: string,
  transactionalId: string,
  outcomes: string,
  perTransaction: number,
  topics: readonly string[],
  props?: Record<string, string>,
): Promise<TransactionsOutcome> {
  const result = await runJavaProgram('TransactionalWriter', transactionsArgs(bootstrap, transactionalId, outcomes, perTransaction, topics, props), { timeoutMs: 180_000 });
  const records: TransactionalRecord[] = [];
  const done = new Map<number, 'committed' | 'aborted'>();
  for (const line of lines<TransactionalRecord | { txn: number; outcome: 'committed' | 'aborted' }>(result.stdout)) {
    if ('outcome' in line) done.set(line.txn, line.outcome);
    else records.push(line);
  }
  return { records, outcomes: done };
}

/** Runs TransactionalWriter as `writeTransactions` does, for a test that expects it to fail: what it printed and its exit code. */
export function attemptTransactions(...run: Parameters<typeof writeTransactions>): Promise<ProcessResult> {
  return runJavaProgramToEnd('TransactionalWriter', transactionsArgs(...run), { timeoutMs: 180_000 });
}

function transactionsArgs(...[bootstrap, transactionalId, outcomes, perTransaction, topics, props]: Parameters<typeof writeTransactions>): string[] {
  return [bootstrap, transactionalId, outcomes, String(perTransaction), topics.join(','), ...propertyArgs(props)];
}

/** Asserts RecordWriter delivered every record, showing its client's first warnings if not. */
export function expectAllDelivered(outcome: WriteOutcome): void {
  expect(outcome.failed, `records the Java producer failed to deliver; its client's first warnings:\n${clientWarnings(outcome.result)}`).toEqual([]);
}

/** The first distinct warnings and errors a test program's client logged. */
function clientWarnings(result: ProcessResult, max = 8): string {
  const seen = new Set<string>();
  for (const line of result.stderr.split('\n')) {
    if (!/\b(WARN|ERROR)\b/.test(line)) continue;
    seen.add(line.replace(/^\[[^\]]*\] /, ''));
    if (seen.size >= max) break;
  }
  return [...seen].join('\n');
}

/** The hex SHA-256 of a value, as the Java programs print it. */
export function sha256Hex(value: Buffer | string): string {
  return createHash('sha256').update(value).digest('hex');
}
