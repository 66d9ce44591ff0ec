// Plaintext sockets that read into one shared buffer (net's `onread`) instead of through
// Node's Readable stream.
//
// Per read, a 'data' listener costs the stream machinery (push, buffering, emit, a nextTick
// and maybeReadMore) and Node's own buffer handling (a 64 KiB allocation trimmed to the bytes
// read). With `onread`, libuv fills one buffer and calls back synchronously on the one
// event-loop thread; the bytes are copied out before the callback returns, so every socket of
// the process can share the buffer. A short read (a Produce acknowledgement, a small request)
// lands in Node's pool instead of an ArrayBuffer of its own.
//
// Outgoing connections take `onread` from `net.connect`. Accepted ones cannot (`net.Server`
// has no such option), so a server made with `pauseOnConnect` hands its paused socket to
// `adoptAccepted`, which moves the connection's handle into a socket built with `onread`. That
// leans on two fields of Node's net module that have not changed since its first releases
// (`_handle`, `_server`); where they are not as expected the paused socket is resumed and
// read the ordinary way.
import net from 'node:net';

/**
 * The most one read takes. Larger than Node's own 64 KiB: when a broker's Fetch answer or a
 * producer's pipelined requests queue up in the socket, one read takes them all, so the
 * per-read work (the callback, the frame reader, the next write) is paid less often per MB.
 * Measured with the profile harness's chained A/B (bench/README.md, "Reads of up to
 * 256 KiB"): about 10% less CPU per MB produced and consumed; 1 MiB gained nothing more.
 */
export const SHARED_READ_BUFFER_BYTES = 256 * 1024;
let sharedBuffer: Buffer | null = null;

function sharedReadBuffer(): Buffer {
  sharedBuffer ??= Buffer.allocUnsafe(SHARED_READ_BUFFER_BYTES);
  return sharedBuffer;
}

/** The `onread` option of a socket whose reads are copied out of the shared buffer and handed to `onChunk`. */
export function sharedReadOption(onChunk: (chunk: Buffer) => void): net.OnReadOpts {
  return {
    buffer: sharedReadBuffer(),
    // Returns true: pausing is the owner's (socket.pause), never the read callback's.
    callback: (nread: number, buf: Uint8Array): boolean => {
      if (nread <= 0) return true;
      const chunk = Buffer.allocUnsafe(nread);
      chunk.set(buf.subarray(0, nread));
      onChunk(chunk);
      return true;
    },
  };
}

/** Where an adopted socket's reads go: the one handler its owner sets; none read before that. */
export interface ChunkSource {
  onChunk(handler: (chunk: Buffer) => void): void;
}

const sources = new WeakMap<net.Socket, ChunkSource>();

/** The reads of a socket `adoptAccepted` made, or undefined for one read through 'data'. */
export function chunkSourceOf(socket: net.Socket): ChunkSource | undefined {
  return sources.get(socket);
}

interface NetInternals {
  _handle?: { readStart?: unknown; useUserBuffer?: unknown } | null;
  _server?: net.Server | null;
  server?: net.Server | null;
}

/**
 * A paused socket of a `pauseOnConnect` server as a socket reading through the shared buffer,
 * counted by its server as before (its close lets `server.close()` finish). A socket that
 * cannot be adopted is resumed and returned as it is.
 */
export function adoptAccepted(paused: net.Socket): net.Socket {
  const internals = paused as unknown as NetInternals;
  const handle = internals._handle;
  const server = internals._server;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function' || server === undefined) {
    paused.resume();
    return paused;
  }
  let handler: ((chunk: Buffer) => void) | null = null;
  const pending: Buffer[] = [];
  internals._handle = null;
  internals._server = null;
  const socket = new net.Socket({
    handle: handle as never,
    readable: true,
    writable: true,
    onread: sharedReadOption((chunk) => {
      if (handler === null) pending.push(chunk);
      else handler(chunk);
    }),
  } as net.SocketConstructorOpts);
  const adopted = socket as unknown as NetInternals;
  adopted._server = server;
  adopted.server = server;
  sources.set(socket, {
    onChunk(h) {
      handler = h;
      for (const chunk of pending.splice(0)) h(chunk);
    },
  });
  return socket;
}
