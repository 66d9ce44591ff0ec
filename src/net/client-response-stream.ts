// One backend response passed to a client as its bytes arrive (cut-through), instead of being
// held until its last byte: a large Fetch response then costs one transfer time per round
// trip rather than two.
//
// The router's ResponseStream rewrites the bytes and emits them here. A client expects its
// responses in request order, so the emitted bytes are held (views, no copy) until every
// earlier response has been written; from then on ("live") they go straight to the socket.
import { writeResponseCorrelationId } from './correlation.js';
import type { ResponseBytesSink, ResponseStream } from './request-router.js';
import type { UpstreamResponseStream } from './upstream-connection.js';

/** What a streamed response needs of the client connection it answers on. */
export interface StreamedResponseOwner {
  /** Writes bytes to the client socket (counted as bytes out). */
  writeToClient(bytes: Buffer): void;
  /**
   * Holds the client socket's writes until the current turn of the event loop ends, then sends
   * them in one system call and checks backpressure. Every chunk the upstream socket read in
   * this turn then reaches the client together.
   */
  batchClientWrites(): void;
  /** The response's last byte has been emitted. */
  onStreamDone(): void;
  /** The backend's bytes are not a valid response: the client connection must close. */
  onStreamError(err: unknown): void;
}

export class ClientResponseStream implements UpstreamResponseStream, ResponseBytesSink {
  private readonly owner: StreamedResponseOwner;
  private readonly correlationId: number;
  private rewriter: ResponseStream | null = null;
  private held: Buffer[] = [];
  private started = false;
  private live = false;
  private done = false;
  private failed = false;
  private writtenBytes = 0;

  constructor(owner: StreamedResponseOwner, correlationId: number) {
    this.owner = owner;
    this.correlationId = correlationId;
  }

  /** Set once, right after construction: the router's rewriter emits into this object. */
  attach(rewriter: ResponseStream): void {
    this.rewriter = rewriter;
  }

  /** Every byte of the response has been emitted (held or written). */
  get isDone(): boolean {
    return this.done;
  }

  /** Some of the response has reached the client socket: it can no longer be replaced. */
  get hasWritten(): boolean {
    return this.writtenBytes > 0;
  }

  /** Every earlier response is out: write what was held and pass the rest straight through. */
  goLive(): void {
    if (this.live) return;
    this.live = true;
    const held = this.held;
    this.held = [];
    if (held.length === 0) return;
    this.owner.batchClientWrites();
    for (const bytes of held) this.write(bytes);
  }

  push(bytes: Buffer): void {
    if (this.failed) return;
    if (!this.started) {
      this.started = true;
      writeResponseCorrelationId(bytes, this.correlationId);
    }
    if (this.live) this.owner.batchClientWrites();
    try {
      (this.rewriter as ResponseStream).write(bytes);
    } catch (err) {
      this.fail(err);
    }
  }

  end(): void {
    if (this.failed) return;
    try {
      (this.rewriter as ResponseStream).end();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.done = true;
    this.owner.onStreamDone();
  }

  emit(bytes: Buffer): void {
    if (this.live) this.write(bytes);
    else this.held.push(bytes);
  }

  private write(bytes: Buffer): void {
    this.writtenBytes += bytes.length;
    this.owner.writeToClient(bytes);
  }

  private fail(err: unknown): void {
    this.failed = true;
    this.held = [];
    this.owner.onStreamError(err);
  }
}
