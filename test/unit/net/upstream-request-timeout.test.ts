// An upstream fails with `request_timeout` once its oldest request has gone unanswered for the
// request timeout, and not while the broker answers in time, however many requests it has
// answered and emptied its pending queue on before.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamError, type UpstreamConnection } from '../../../src/net/upstream-connection.js';
import { sendRequest } from '../../../src/net/upstream-request.js';
import { plainUpstream } from './socket-test-kit.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A request frame: size, api key 18, version 0, correlation id, then a byte saying whether to answer it. */
function request(answer: boolean): Buffer {
  const frame = Buffer.alloc(4 + 8 + 1);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(18, 4);
  frame[12] = answer ? 1 : 0;
  return frame;
}

/**
 * Answers each request that asks for it with a bare frame holding its correlation id, in order
 * as a broker does: after one it leaves unanswered it answers nothing more.
 */
function broker(): Promise<number> {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    let stuck = false;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        stuck ||= frame[12] !== 1;
        if (stuck) continue;
        const answer = Buffer.alloc(8);
        answer.writeInt32BE(4, 0);
        answer.writeInt32BE(frame.readInt32BE(8), 4);
        socket.write(answer);
      }
    });
  });
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function connect(port: number, requestTimeoutMs: number): UpstreamConnection {
  const upstream = plainUpstream(port, { requestTimeoutMs });
  cleanups.push(() => upstream.close());
  return upstream;
}

describe('upstream request timeout', () => {
  it('fails the connection once the oldest request has waited the request timeout', async () => {
    const upstream = connect(await broker(), 300);
    const startedAt = performance.now();
    const err = await sendRequest(upstream, request(false)).then(
      () => null,
      (e: unknown) => e,
    );
    const waitedMs = performance.now() - startedAt;
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).kind).toBe('request_timeout');
    expect((err as UpstreamError).message).toContain('no response within 300 ms');
    expect(waitedMs).toBeGreaterThanOrEqual(290);
    expect(upstream.isClosed).toBe(true);
  });

  it('fails every request behind the one that timed out', async () => {
    const upstream = connect(await broker(), 300);
    const first = sendRequest(upstream, request(false));
    const second = sendRequest(upstream, request(true));
    const kinds = await Promise.all([first, second].map((p) => p.then(() => 'answered', (e: unknown) => (e as UpstreamError).kind)));
    expect(kinds).toEqual(['request_timeout', 'request_timeout']);
  });

  it('keeps a connection whose broker answers each request in time, over many turns of an emptied queue', async () => {
    const upstream = connect(await broker(), 200);
    // Each answer empties the pending queue; together they last longer than the timeout.
    const until = performance.now() + 600;
    let answered = 0;
    while (performance.now() < until) {
      const frame = await sendRequest(upstream, request(true));
      expect(frame.readInt32BE(4)).toBeGreaterThan(0);
      answered++;
      if (answered % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(answered).toBeGreaterThan(100);
    expect(upstream.isClosed).toBe(false);
    expect(upstream.inFlight).toBe(0);
  });
});
