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
// A read in the middle of a large frame goes instead into a buffer of the socket's own, sized to
// the rest of the frame, and is handed on as a view of it, without the copy: the frame's owner
// forwards or streams such reads as they come (a Fetch answer to its client, a Produce request
// to its broker), so the copy was the one thing done to their bytes in this process. The
// buffer is the socket's only while the frame lasts; the socket goes back to the shared one
// for the read after the frame's end, so an idle socket holds none.
//
// Outgoing connections take `onread` from `net.connect`. Accepted ones cannot (`net.Server`
// has no such option), so a server made with `pauseOnConnect` hands its paused socket to
// `adoptAccepted`, which moves the connection's handle into a socket built with `onread`. That
// leans on two fields of Node's net module that have not changed since its first releases
// (`_handle`, `_server`); where they are not as expected the paused socket is resumed and
// read the ordinary way.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
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

/**
 * A read gets a buffer of the socket's own when at least this much of the frame it falls in is
 * still to come. Below it a frame's rest arrives in a read or two, and the copy out of the
 * shared buffer costs less than allocating a buffer for it.
 */
export const PRIVATE_READ_MIN_BYTES = 64 * 1024;

/**
 * The bytes still to come of the frame a socket's reader is in the middle of (0 between
 * frames): how large its next read's own buffer may be without holding memory nothing fills.
 */
export type FrameRest = () => number;

/** Copies `nread` bytes out of a buffer that is read into again. */
function copyOut(buf: Uint8Array, nread: number): Buffer {
  const chunk = Buffer.allocUnsafe(nread);
  chunk.set(buf.subarray(0, nread));
  return chunk;
}

/**
 * The `onread` option of a socket whose reads are handed to `onChunk`: copied out of the
 * shared buffer, or, while `frameRest` says a large frame is arriving, read into a buffer of
 * the socket's own and handed on as a view of it.
 */
export function sharedReadOption(onChunk: (chunk: Buffer) => void, frameRest?: FrameRest): net.OnReadOpts {
  const shared = sharedReadBuffer();
  if (frameRest === undefined) {
    return {
      buffer: shared,
      // Returns true: pausing is the owner's (socket.pause), never the read callback's.
      callback: (nread: number, buf: Uint8Array): boolean => {
        if (nread > 0) onChunk(copyOut(buf, nread));
        return true;
      },
    };
  }
  /** The socket's own buffer, until a read in it is handed on. */
  let own: Buffer | null = null;
  return {
    // Called by Node for the first read and after each read, once its callback has returned:
    // the owner's reader has taken that read, so it knows what is left of the frame.
    buffer: (): Buffer => {
      const rest = frameRest();
      if (rest < PRIVATE_READ_MIN_BYTES) {
        own = null;
        return shared;
      }
      // Never larger than the frame's rest: a view never spans two frames.
      const size = Math.min(rest, SHARED_READ_BUFFER_BYTES);
      if (own === null || own.length > size) own = Buffer.allocUnsafeSlow(size);
      return own;
    },
    callback: (nread: number, buf: Uint8Array): boolean => {
      if (nread <= 0) return true;
      // A view holds its whole buffer: one filled to less than half is copied out and read
      // into again, so a view never holds more than twice its bytes.
      if (buf !== own || nread * 2 < buf.length) {
        onChunk(copyOut(buf, nread));
        return true;
      }
      own = null;
      onChunk((buf as Buffer).subarray(0, nread));
      return true;
    },
  };
}

/** Where an adopted socket's reads go: the one handler its owner sets; none read before that. */
export interface ChunkSource {
  /** `frameRest`: see `sharedReadOption`; without it every read is copied out of the shared buffer. */
  onChunk(handler: (chunk: Buffer) => void, frameRest?: FrameRest): void;
}

const sources = new WeakMap<net.Socket, ChunkSource>();

/** The reads of a socket `adoptAccepted` made, or undefined for one read through 'data'. */
export function chunkSourceOf(socket: net.Socket): ChunkSource | undefined {
  return sources.get(socket);
}

const noFrame: FrameRest = () => 0;

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
  let rest: FrameRest = noFrame;
  const pending: Buffer[] = [];
  internals._handle = null;
  internals._server = null;
  const socket = new net.Socket({
    handle: handle as never,
    readable: true,
    writable: true,
    onread: sharedReadOption(
      (chunk) => {
        if (handler === null) pending.push(chunk);
        else handler(chunk);
      },
      () => rest(),
    ),
  } as net.SocketConstructorOpts);
  const adopted = socket as unknown as NetInternals;
  adopted._server = server;
  adopted.server = server;
  sources.set(socket, {
    onChunk(h, frameRest) {
      handler = h;
      rest = frameRest ?? noFrame;
      for (const chunk of pending.splice(0)) h(chunk);
    },
  });
  return socket;
}
