// Slow consumers: clients that ask for far more than they read. Each sends several large
// Fetch requests for a full topic and then stops reading its socket. Turnout may keep only
// what fits in its write buffer per connection (backpressure reaches the broker connection);
// when the clients read again, every answer must arrive whole and in order.
import { connect, type Socket } from 'node:net';
import { ApiKey, encodeRequestFrame } from '../../src/codec/index.js';
import { fetchRequest } from '../../test/integration/wire-client.js';

export interface SlowConsumersPlan {
  host: string;
  /** The Turnout node port that leads the topic's partitions (one broker behind it). */
  nodePort: number;
  topic: string;
  partitions: number;
  clients: number;
  /** Fetch requests each client sends before it stops reading. */
  requestsEach: number;
  partitionMaxBytes: number;
  /** How long the clients stay stalled. */
  stallMs: number;
  log: (line: string) => void;
}

/** Counts whole response frames, keeping none of their bytes. */
class StalledClient {
  readonly socket: Socket;
  answers = 0;
  bytes = 0;
  private remaining = 0;
  private prefix = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port });
    this.socket.on('data', (chunk: Buffer) => this.take(chunk));
  }

  private take(chunk: Buffer): void {
    this.bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - at);
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) this.answers++;
        continue;
      }
      const part = chunk.subarray(at, at + 4 - this.prefix.length);
      this.prefix = Buffer.concat([this.prefix, part]);
      at += part.length;
      if (this.prefix.length === 4) {
        this.remaining = this.prefix.readInt32BE(0);
        this.prefix = Buffer.alloc(0);
      }
    }
    this.wake?.();
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  async answered(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers < count) {
      if (Date.now() > deadline) throw new Error(`a slow consumer got ${this.answers} of ${count} Fetch answers in ${timeoutMs} ms after it read again`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 500);
      });
    }
  }
}

export interface StalledConsumers {
  /** What the clients asked for while stalled, at most (requests × partitions × partitionMaxBytes). */
  askedBytes: number;
  /** Lets them read again and waits for every answer; returns the bytes they received. */
  drain(timeoutMs: number): Promise<{ answers: number; receivedBytes: number }>;
  close(): void;
}

export async function stallConsumers(plan: SlowConsumersPlan): Promise<StalledConsumers> {
  const clients = Array.from({ length: plan.clients }, () => new StalledClient(plan.host, plan.nodePort));
  const close = (): void => {
    for (const c of clients) c.socket.destroy();
  };
  try {
    await Promise.all(clients.map((c) => c.connected()));
    const partitions = Array.from({ length: plan.partitions }, (_, partition) => ({ topic: plan.topic, partition, offset: 0n }));
    const request = fetchRequest(partitions, plan.partitionMaxBytes);
    request.maxBytes = plan.partitions * plan.partitionMaxBytes;
    for (const c of clients) {
      c.socket.pause();
      for (let i = 0; i < plan.requestsEach; i++) c.socket.write(encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: i, clientId: 'bench-memory-slow' }, request));
    }
  } catch (err) {
    close();
    throw err;
  }
  plan.log(`${plan.clients} slow consumers each sent ${plan.requestsEach} Fetch requests for ${plan.partitions} partitions and stopped reading`);
  return {
    askedBytes: plan.clients * plan.requestsEach * plan.partitions * plan.partitionMaxBytes,
    async drain(timeoutMs) {
      for (const c of clients) c.socket.resume();
      await Promise.all(clients.map((c) => c.answered(plan.requestsEach, timeoutMs)));
      return { answers: clients.reduce((n, c) => n + c.answers, 0), receivedBytes: clients.reduce((n, c) => n + c.bytes, 0) };
    },
    close,
  };
}
