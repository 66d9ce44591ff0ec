// An upstream's responses come out byte for byte, whatever the reads look like: large
// responses over many reads, several connections answered at once, small answers that share a
// read, and an answer kept while later reads arrive. (They caught a read path that handed out
// views of a reused read buffer.)
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamConnection } from '../../../src/net/upstream-connection.js';
import { sendRequest } from '../../../src/net/upstream-request.js';
import { plainUpstream } from './socket-test-kit.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A request frame: size, api key 18, version 0, correlation id, and `bodyBytes` bytes giving the answer's size and fill. */
function request(answerBytes: number, fill: number): Buffer {
  const frame = Buffer.alloc(4 + 8 + 5);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(18, 4);
  frame.writeInt32BE(0, 8);
  frame.writeInt32BE(answerBytes, 12);
  frame[16] = fill;
  return frame;
}

/** Answers each request with a frame of the asked size: its correlation id, then the fill byte. */
function patternServer(): Promise<number> {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = pending.subarray(0, 4 + size);
        pending = pending.subarray(4 + size);
        const answerBytes = frame.readInt32BE(12);
        const answer = Buffer.alloc(answerBytes, frame[16]);
        answer.writeInt32BE(answerBytes - 4, 0);
        answer.writeInt32BE(frame.readInt32BE(8), 4);
        // In pieces, so that reads end mid-frame.
        for (let at = 0; at < answer.length; at += 7_000) socket.write(answer.subarray(at, at + 7_000));
      }
    });
  });
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function connect(port: number): UpstreamConnection {
  const upstream = plainUpstream(port);
  cleanups.push(() => upstream.close());
  return upstream;
}

function expectAnswer(frame: Buffer, answerBytes: number, fill: number): void {
  expect(frame.length).toBe(answerBytes);
  expect(frame.readInt32BE(0)).toBe(answerBytes - 4);
  const body = frame.subarray(8);
  expect(body.every((b) => b === fill)).toBe(true);
}

describe('upstream reads', () => {
  it('hands out answers larger than the read buffer whole and intact', async () => {
    const upstream = connect(await patternServer());
    expectAnswer(await sendRequest(upstream, request(300_000, 0xab)), 300_000, 0xab);
  });

  it('keeps the answers of connections read at the same time apart', async () => {
    const port = await patternServer();
    const fills = [0x11, 0x22, 0x33, 0x44];
    const upstreams = fills.map(() => connect(port));
    const answers = await Promise.all(
      upstreams.flatMap((u, i) => [sendRequest(u, request(150_000, fills[i])), sendRequest(u, request(40, fills[i] + 1)), sendRequest(u, request(90_000, fills[i]))]),
    );
    upstreams.forEach((_, i) => {
      expectAnswer(answers[3 * i], 150_000, fills[i]);
      expectAnswer(answers[3 * i + 1], 40, fills[i] + 1);
      expectAnswer(answers[3 * i + 2], 90_000, fills[i]);
    });
  });

  it('keeps an answer handed out earlier intact while later reads reuse the buffer', async () => {
    const upstream = connect(await patternServer());
    const first = await sendRequest(upstream, request(60, 0x5a));
    await sendRequest(upstream, request(200_000, 0xc3));
    expectAnswer(first, 60, 0x5a);
  });
});
