// Accepted sockets moved into sockets that read through the one shared buffer: every byte of
// every connection comes out in order even when connections read at the same time, the
// server still counts the connection (its close waits for it), and pause, end and writes
// behave as on any socket.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adoptAccepted, chunkSourceOf, PRIVATE_READ_MIN_BYTES, SHARED_READ_BUFFER_BYTES, type FrameRest } from '../../../src/net/shared-reads.js';

interface Accepted {
  socket: net.Socket;
  received: Buffer[];
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** `frameRestOf`: what the owner's reader says is left of its frame, per connection. */
async function adoptingServer(frameRestOf?: (entry: Accepted) => FrameRest): Promise<{ server: net.Server; port: number; accepted: Accepted[] }> {
  const accepted: Accepted[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (paused) => {
    const socket = adoptAccepted(paused);
    const entry: Accepted = { socket, received: [] };
    const source = chunkSourceOf(socket);
    if (source === undefined) throw new Error('the socket was not adopted');
    source.onChunk((chunk) => entry.received.push(chunk), frameRestOf?.(entry));
    accepted.push(entry);
  });
  cleanups.push(() => {
    for (const a of accepted) a.socket.destroy();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
    cleanups.push(() => s.destroy());
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const total = (bufs: Buffer[]): number => bufs.reduce((n, b) => n + b.length, 0);

describe('accepted sockets reading through the shared buffer', () => {
  it('hands every connection its own bytes, in order, while several read at once', async () => {
    const { port, accepted } = await adoptingServer();
    const payloads = [randomBytes(3_000_000), randomBytes(1_500_000), randomBytes(700)];
    const clients = await Promise.all(payloads.map(() => connect(port)));
    await waitFor(() => accepted.length === clients.length);
    // Written in uneven pieces from all clients at once, so that reads interleave and end mid-piece.
    for (let at = 0; at < payloads[0].length; at += 50_001) {
      clients.forEach((c, i) => {
        if (at < payloads[i].length) c.write(payloads[i].subarray(at, at + 50_001));
      });
    }
    await waitFor(() => accepted.every((a, i) => total(a.received) === payloads[clientIndexOf(a, accepted, clients)].length));
    for (const a of accepted) {
      const i = clientIndexOf(a, accepted, clients);
      expect(Buffer.concat(a.received).equals(payloads[i])).toBe(true);
    }
    // Every read came through the shared buffer, so none is larger than it.
    expect(Math.max(...accepted.flatMap((a) => a.received.map((chunk) => chunk.length)))).toBeLessThanOrEqual(SHARED_READ_BUFFER_BYTES);
    expect(Math.max(...accepted.map((a) => a.received.length))).toBeGreaterThanOrEqual(Math.ceil(payloads[0].length / SHARED_READ_BUFFER_BYTES));

    function clientIndexOf(a: Accepted, all: Accepted[], socketsOfClients: net.Socket[]): number {
      // Accepted in connect order, by the client's local port.
      const i = socketsOfClients.findIndex((c) => c.localPort === a.socket.remotePort);
      if (i < 0) throw new Error(`no client at port ${a.socket.remotePort} among ${all.length}`);
      return i;
    }
  });

  it('keeps the server counting the connection: its close waits for the socket, and finishes once it closes', async () => {
    const { server, port, accepted } = await adoptingServer();
    await connect(port);
    await waitFor(() => accepted.length === 1);
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(count).toBe(1);
    let closed = false;
    server.close(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    accepted[0].socket.destroy();
    await waitFor(() => closed);
  });

  it('stops reading while paused and goes on when resumed; writes and end work as on any socket', async () => {
    const { port, accepted } = await adoptingServer();
    const client = await connect(port);
    await waitFor(() => accepted.length === 1);
    const { socket, received } = accepted[0];
    socket.pause();
    client.write(Buffer.alloc(10_000, 7));
    await new Promise((r) => setTimeout(r, 150));
    expect(total(received)).toBe(0);
    socket.resume();
    await waitFor(() => total(received) === 10_000);

    const back: Buffer[] = [];
    client.on('data', (b: Buffer) => back.push(b));
    socket.write(Buffer.from('answer'));
    await waitFor(() => Buffer.concat(back).toString() === 'answer');

    let ended = false;
    socket.on('end', () => {
      ended = true;
    });
    client.end();
    await waitFor(() => ended);
  });
});

describe('reads in the middle of a large frame', () => {
  /** Sends a frame of `frameBytes` and `afterBytes` more; the reader's rest is what is left of the frame. */
  async function readFrame(frameBytes: number, afterBytes: number): Promise<{ payload: Buffer; chunks: Buffer[]; own: Set<ArrayBufferLike> }> {
    const allocations = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      const { port, accepted } = await adoptingServer((entry) => () => Math.max(0, frameBytes - total(entry.received)));
      const client = await connect(port);
      const payload = randomBytes(frameBytes + afterBytes);
      // In pieces, so that some reads find less than the rest of the frame in the socket.
      for (let at = 0; at < payload.length; at += 300_000) client.write(payload.subarray(at, at + 300_000));
      await waitFor(() => accepted.length === 1 && total(accepted[0].received) === payload.length);
      const own = new Set(allocations.mock.results.map((r) => (r.value as Buffer).buffer));
      return { payload, chunks: accepted[0].received, own };
    } finally {
      allocations.mockRestore();
    }
  }

  it("reads the frame's rest into buffers of the socket's own and hands them on uncopied, never past the frame's end", async () => {
    const frameBytes = 3_000_000;
    const { payload, chunks, own } = await readFrame(frameBytes, 200_000);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    let at = 0;
    let uncopied = 0;
    for (const chunk of chunks) {
      if (own.has(chunk.buffer)) {
        uncopied += chunk.length;
        // Read while at least PRIVATE_READ_MIN_BYTES of the frame were still to come, and
        // into a buffer no larger than that rest.
        expect(frameBytes - at).toBeGreaterThanOrEqual(PRIVATE_READ_MIN_BYTES);
        expect(at + chunk.byteOffset + chunk.buffer.byteLength).toBeLessThanOrEqual(frameBytes);
        expect(chunk.buffer.byteLength).toBeLessThanOrEqual(SHARED_READ_BUFFER_BYTES);
        // A view holds at most twice its bytes.
        expect(chunk.length * 2).toBeGreaterThanOrEqual(chunk.buffer.byteLength);
      }
      at += chunk.length;
    }
    // Everything after the first read (which the shared buffer takes) up to the last 64 KiB
    // can go uncopied; most of it does.
    expect(uncopied).toBeGreaterThan(frameBytes / 2);
  });

  it('copies every read out of the shared buffer when the frames are small', async () => {
    const { payload, chunks, own } = await readFrame(PRIVATE_READ_MIN_BYTES - 1, 500_000);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(chunks.filter((chunk) => own.has(chunk.buffer))).toEqual([]);
  });
});
