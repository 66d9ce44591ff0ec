// A kafkajs producer that keeps writing at a steady rate until it is stopped, as a service
// does: one produce request (acks=all) at a time, each with the events that came due since the
// previous one was sent (a tick's worth while acknowledgements are quick; more, as a service's
// buffer fills, while one is slow or held). Every acknowledged event is noted with its
// partition and offset, for the delivery check, and every request with when it was sent and
// acknowledged, so that a cutover's hold can be read off the requests it delayed.
import { performance } from 'node:perf_hooks';
import type { PartitionMetadata, Producer } from 'kafkajs';
import { sleep, throwIfAborted } from './demo-abort.js';
import type { ExpectedRecord } from './delivery-check.js';
import { eventPartitioner, produceStats, sendEvents, type KeyedEvent, type ProduceStats } from './kafkajs-traffic.js';

/** One produce request: when it was sent and acknowledged (ms since the epoch), and its events. */
export interface SendTiming {
  sentAtMs: number;
  ackedAtMs: number;
  records: number;
}

export interface PacedProduceResult {
  topic: string;
  expected: ExpectedRecord[];
  sends: SendTiming[];
  stats: ProduceStats;
  /** Why the producer stopped before it was asked to, or null. */
  failure: string | null;
}

export interface PacedProducerOptions {
  ratePerSecond: number;
  /** Time between requests; default 50 ms. */
  tickMs?: number;
}

export class ProducerStoppedError extends Error {
  constructor(readonly topic: string, readonly reason: string) {
    super(`the producer of ${topic} stopped: ${reason}`);
    this.name = 'ProducerStoppedError';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class PacedProducer {
  private readonly expected: ExpectedRecord[] = [];
  private readonly sends: SendTiming[] = [];
  private readonly ackMs: number[] = [];
  private readonly ratePerSecond: number;
  private readonly tickMs: number;
  private payloadBytes = 0;
  private stopping = false;
  private failure: string | null = null;
  private startedAt = 0;
  private stoppedAt = 0;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly events: Iterator<KeyedEvent>,
    private readonly metadata: PartitionMetadata[],
    opts: PacedProducerOptions,
  ) {
    this.tickMs = opts.tickMs ?? 50;
    this.ratePerSecond = opts.ratePerSecond;
  }

  /** Events acknowledged so far. */
  get acknowledged(): number {
    return this.expected.length;
  }

  start(): void {
    if (this.loop !== null) return;
    this.startedAt = performance.now();
    this.loop = this.run();
  }

  /** Resolves once `count` events are acknowledged in all; rejects if the producer stops first. */
  async waitForAcknowledged(count: number, signal: AbortSignal | undefined): Promise<void> {
    while (this.expected.length < count) {
      throwIfAborted(signal);
      if (this.failure !== null) throw new ProducerStoppedError(this.topic, this.failure);
      await sleep(10);
    }
  }

  /** Lets the request in flight finish, then reports. */
  async stop(): Promise<PacedProduceResult> {
    this.stopping = true;
    await this.loop;
    if (this.stoppedAt === 0) this.stoppedAt = performance.now();
    return {
      topic: this.topic,
      expected: this.expected,
      sends: this.sends,
      stats: produceStats(this.expected.length, this.payloadBytes, this.sends.length, this.stoppedAt - this.startedAt, this.ackMs),
      failure: this.failure,
    };
  }

  private async run(): Promise<void> {
    const partitioner = eventPartitioner();
    // Events come due at the rate; at most half a second's worth goes in one request.
    const most = Math.max(1, Math.round(this.ratePerSecond / 2));
    let due = 0;
    let lastSent = performance.now() - this.tickMs;
    let next = performance.now();
    while (!this.stopping) {
      const now = performance.now();
      due = Math.min(most, due + ((now - lastSent) * this.ratePerSecond) / 1000);
      lastSent = now;
      const n = Math.max(1, Math.floor(due));
      due -= n;
      const batch: KeyedEvent[] = [];
      for (let i = 0; i < n; i++) batch.push(this.events.next().value as KeyedEvent);
      const sentAtMs = Date.now();
      try {
        const sent = await sendEvents(this.producer, this.topic, batch, this.metadata, partitioner);
        for (const e of sent.expected) this.expected.push(e);
        this.payloadBytes += sent.payloadBytes;
        this.ackMs.push(sent.ackMs);
        this.sends.push({ sentAtMs, ackedAtMs: Date.now(), records: batch.length });
      } catch (err) {
        this.failure = errorText(err);
        this.stoppedAt = performance.now();
        return;
      }
      next += this.tickMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
    this.stoppedAt = performance.now();
  }
}

/** The produce requests in flight at some point of a window (ms since the epoch), and the longest wait for an acknowledgement among them. */
export function sendsDuring(sends: readonly SendTiming[], window: { fromMs: number; toMs: number }): { requests: number; maxAckMs: number | null } {
  let requests = 0;
  let maxAckMs: number | null = null;
  for (const s of sends) {
    if (s.ackedAtMs < window.fromMs || s.sentAtMs > window.toMs) continue;
    requests++;
    const waited = s.ackedAtMs - s.sentAtMs;
    if (maxAckMs === null || waited > maxAckMs) maxAckMs = waited;
  }
  return { requests, maxAckMs };
}
