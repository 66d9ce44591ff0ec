// An ACL added while its client runs: a kafkajs producer whose user nothing grants sends one
// record at a time to a topic and is denied; Kafka's own kafka-acls tool, logged in to Turnout
// as a super user, adds the WRITE binding through Turnout (CreateAcls, answered from Turnout's
// ACL store); the same producer, never restarted or reconnected by the demo, is allowed from
// its next send on.
import kafkajs from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { runKafkaTool, type KafkaToolResult } from '../devkit/index.js';
import { sleep, throwIfAborted, unlessAborted } from './demo-abort.js';

const { Kafka, logLevel } = kafkajs;

export interface LiveGrantOptions {
  /** Turnout's bootstrap servers. */
  bootstrap: string;
  topic: string;
  /** The producer's user, and its kafkajs TLS and SASL options. */
  user: string;
  producerSettings: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** A Java client properties file logging in to Turnout as a user that may alter ACLs. */
  adminConfig: string;
  /** Denials to see before the grant. (default: 3) */
  denialsBefore?: number;
  /** Acknowledged sends to see after it. (default: 5) */
  successesAfter?: number;
  /** Pause between sends. (default: 250 ms) */
  intervalMs?: number;
  /** Give up after this long. (default: 90 s) */
  deadlineMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface SendAttempt {
  /** When the send started, ms since the epoch. */
  atMs: number;
  ok: boolean;
  /** What kafkajs reported for a failed send. */
  error?: string;
}

export interface LiveGrantResult {
  /** Denied before the grant, allowed from the grant on, and the binding listed by kafka-acls. */
  ok: boolean;
  user: string;
  topic: string;
  /** kafka-acls's arguments that added the binding (after the tool's name). */
  grantArgs: string[];
  /** Sends that started before kafka-acls did: all denied, none acknowledged. */
  deniedBefore: number;
  allowedBefore: number;
  /** The first denial, as kafkajs reported it. */
  firstDenial: string | null;
  /** Sends that started while kafka-acls ran (the binding applies before the tool exits): either. */
  duringGrant: number;
  /** Sends that started after kafka-acls returned: all acknowledged, none denied. */
  allowedAfter: number;
  deniedAfter: number;
  /** The binding as `kafka-acls --list` shows it, or null when it was not listed. */
  listed: string | null;
  /** Why the grant failed (the tool's error), or the deadline passed. */
  failure: string | null;
  /** Records the producer had acknowledged. */
  acknowledged: number;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function toolFailure(tool: string, r: KafkaToolResult): string | null {
  if (r.code === 0 && !r.timedOut) return null;
  return `${tool} ${r.timedOut ? 'timed out' : `exited with ${r.code}`}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`;
}

/** Runs the producer, grants it WRITE on `topic` with kafka-acls through Turnout, and reports what each send got. */
export async function grantWhileRunning(opts: LiveGrantOptions): Promise<LiveGrantResult> {
  const log = opts.log ?? (() => undefined);
  const denialsBefore = opts.denialsBefore ?? 3;
  const successesAfter = opts.successesAfter ?? 5;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + (opts.deadlineMs ?? 90_000);
  const grantArgs = ['--bootstrap-server', opts.bootstrap, '--command-config', opts.adminConfig, '--add', '--allow-principal', `User:${opts.user}`, '--operation', 'Write', '--topic', opts.topic];
  const result: LiveGrantResult = {
    ok: false,
    user: opts.user,
    topic: opts.topic,
    grantArgs,
    deniedBefore: 0,
    allowedBefore: 0,
    firstDenial: null,
    duringGrant: 0,
    allowedAfter: 0,
    deniedAfter: 0,
    listed: null,
    failure: null,
    acknowledged: 0,
  };
  const producer = new Kafka({ clientId: `${opts.user}-producer`, brokers: [opts.bootstrap], ...opts.producerSettings, logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  const attempts: SendAttempt[] = [];
  let grantStartMs = Number.POSITIVE_INFINITY;
  let grantedAtMs = Number.POSITIVE_INFINITY;
  let stop = false;
  const before = (ok: boolean): number => attempts.filter((a) => a.atMs < grantStartMs && a.ok === ok).length;
  const after = (ok: boolean): number => attempts.filter((a) => a.atMs >= grantedAtMs && a.ok === ok).length;

  const sendLoop = async (): Promise<void> => {
    for (let seq = 0; !stop; seq++) {
      const atMs = Date.now();
      try {
        await producer.send({ topic: opts.topic, acks: -1, messages: [{ key: opts.user, value: JSON.stringify({ shipment: seq, at: new Date(atMs).toISOString() }) }] });
        attempts.push({ atMs, ok: true });
      } catch (err) {
        attempts.push({ atMs, ok: false, error: errorText(err) });
      }
      if (!stop) await sleep(intervalMs);
    }
  };
  const waitUntil = async (done: () => boolean, what: string): Promise<boolean> => {
    while (!done()) {
      throwIfAborted(opts.signal);
      if (Date.now() > deadline) {
        result.failure = `gave up after ${opts.deadlineMs ?? 90_000} ms waiting for ${what}`;
        return false;
      }
      await sleep(50);
    }
    return true;
  };

  let loop: Promise<void> | undefined;
  try {
    await unlessAborted(producer.connect(), opts.signal);
    log(`${opts.user}'s kafkajs producer sends a record to ${opts.topic} every ${intervalMs} ms; nothing grants it WRITE yet`);
    loop = sendLoop();
    if (await waitUntil(() => before(false) >= denialsBefore, `${denialsBefore} denials`)) {
      log(`kafka-acls ${grantArgs.join(' ')}`);
      grantStartMs = Date.now();
      const granted = await unlessAborted(runKafkaTool('kafka-acls', grantArgs, { timeoutMs: 90_000 }), opts.signal);
      grantedAtMs = Date.now();
      result.failure = toolFailure('kafka-acls --add', granted);
      if (result.failure === null && (await waitUntil(() => after(true) >= successesAfter, `${successesAfter} acknowledged sends after the grant`))) {
        const listArgs = ['--bootstrap-server', opts.bootstrap, '--command-config', opts.adminConfig, '--list', '--topic', opts.topic];
        const listing = await unlessAborted(runKafkaTool('kafka-acls', listArgs, { timeoutMs: 90_000 }), opts.signal);
        result.failure = toolFailure('kafka-acls --list', listing);
        result.listed = listing.stdout.split('\n').find((l) => l.includes(`principal=User:${opts.user}`) && l.includes('operation=WRITE'))?.trim() ?? null;
      }
    }
  } finally {
    stop = true;
    await loop;
    await producer.disconnect().catch(() => undefined);
  }
  result.deniedBefore = before(false);
  result.allowedBefore = before(true);
  result.duringGrant = attempts.length - before(false) - before(true) - after(true) - after(false);
  result.allowedAfter = after(true);
  result.deniedAfter = after(false);
  result.firstDenial = attempts.find((a) => !a.ok)?.error ?? null;
  result.acknowledged = attempts.filter((a) => a.ok).length;
  result.ok =
    result.failure === null && result.deniedBefore >= denialsBefore && result.allowedBefore === 0 && result.allowedAfter >= successesAfter && result.deniedAfter === 0 && result.listed !== null;
  return result;
}
