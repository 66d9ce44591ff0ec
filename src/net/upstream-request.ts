// One request/response on an upstream connection as a promise, for Turnout's own requests
// to brokers (topology, api versions) and for tools and tests. The client data path does not
// use this: it avoids a promise per frame.
import type { FramePieces } from './frame-pieces.js';
import type { UpstreamConnection, UpstreamError, UpstreamExchange } from './upstream-connection.js';

class PromiseExchange implements UpstreamExchange {
  upstreamCorrelationId = 0;
  private readonly resolve: (frame: Buffer) => void;
  private readonly reject: (err: unknown) => void;

  constructor(resolve: (frame: Buffer) => void, reject: (err: unknown) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }

  onUpstreamResponse(frame: Buffer): void {
    this.resolve(frame);
  }

  onUpstreamFailure(err: UpstreamError): void {
    this.reject(err);
  }
}

/**
 * Sends a request frame (size prefix included; its correlation id is replaced by the
 * connection's own) and resolves with the response frame, or rejects with an UpstreamError.
 */
export function sendRequest(upstream: UpstreamConnection, frame: Buffer | FramePieces): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    upstream.send(frame, new PromiseExchange(resolve, reject));
  });
}
