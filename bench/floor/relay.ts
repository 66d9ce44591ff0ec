// A bare TCP relay in Node.js: the least any Node.js proxy does per request. Each accepted
// connection gets one to the target; bytes go across as they are read, through the same reads
// Turnout uses (one shared buffer, src/net/shared-reads.ts) and ordinary socket writes, with
// backpressure (a side whose writes are full stops the other's reads). It knows nothing of
// Kafka: a client reaches it through a broker listener that advertises the relay's port.
//
//   node dist/bench/floor/relay.js <listen port> <target host:port>
//
// Prints `relay listening on <port>` once it accepts.
import net from 'node:net';
import { adoptAccepted, chunkSourceOf, sharedReadOption } from '../../src/net/shared-reads.js';

export interface RelayTarget {
  host: string;
  port: number;
}

/** Relays every connection accepted on `listenPort` (127.0.0.1) to `target`. */
export function startRelay(listenPort: number, target: RelayTarget): Promise<net.Server> {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (paused) => relayConnection(adoptAccepted(paused), target));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve(server));
  });
}

function relayConnection(client: net.Socket, target: RelayTarget): void {
  client.setNoDelay(true);
  const upstream = net.connect({ host: target.host, port: target.port, noDelay: true, onread: sharedReadOption((chunk) => forward(chunk, client, upstream)) });
  const fromClient = (chunk: Buffer): void => forward(chunk, upstream, client);
  const source = chunkSourceOf(client);
  if (source === undefined) client.on('data', fromClient);
  else source.onChunk(fromClient);
  const end = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const s of [client, upstream]) {
    s.once('error', end);
    s.once('close', end);
  }
}

/** Writes `chunk` to `to`; when `to` is full, `from` stops being read until `to` drains. */
function forward(chunk: Buffer, to: net.Socket, from: net.Socket): void {
  if (to.write(chunk) || from.isPaused()) return;
  from.pause();
  to.once('drain', () => from.resume());
}

function parseTarget(text: string | undefined): RelayTarget {
  const m = /^(.+):(\d+)$/.exec(text ?? '');
  if (m === null) throw new Error(`relay: target must be host:port, got ${text ?? 'nothing'}`);
  return { host: m[1] as string, port: Number(m[2]) };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`relay: listen port must be a port number, got ${process.argv[2] ?? 'nothing'}`);
  const target = parseTarget(process.argv[3]);
  await startRelay(port, target);
  process.stdout.write(`relay listening on ${port}\n`);
  process.once('SIGTERM', () => process.exit(0));
}
