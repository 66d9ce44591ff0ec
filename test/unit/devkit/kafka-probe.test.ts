import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMetadataResponse, encodeApiVersionsRequest, encodeMetadataRequest, probeKafka } from '../../../src/devkit/kafka-probe.js';

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

function compact(s: string | null): Buffer {
  if (s === null) return Buffer.from([0]);
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length + 1]), bytes]);
}

function apiVersionsResponse(correlationId: number, metadataMax = 13): Buffer {
  return Buffer.concat([int32(correlationId), int16(0), int32(2), int16(3), int16(0), int16(metadataMax), int16(18), int16(0), int16(4)]);
}

function metadataResponse(correlationId: number, brokers: Array<[number, string, number, string | null]>): Buffer {
  const parts = [int32(correlationId), Buffer.from([0]), int32(0), Buffer.from([brokers.length + 1])];
  for (const [id, host, port, rack] of brokers) parts.push(int32(id), compact(host), int32(port), compact(rack), Buffer.from([0]));
  parts.push(compact('cluster-xyz'), int32(2), Buffer.from([1]), Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A fake broker: answers each request frame by api key, splitting responses across writes. */
function fakeBroker(answer: (apiKey: number, correlationId: number) => Buffer | undefined): Promise<{ server: Server; port: number }> {
  const server = track(createServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const body = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + body.length);
        const reply = answer(body.readInt16BE(0), body.readInt32BE(4));
        if (reply === undefined) {
          socket.destroy();
          return;
        }
        const framed = frame(reply);
        socket.write(framed.subarray(0, 3));
        setTimeout(() => socket.write(framed.subarray(3)), 5);
      }
    });
  }));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

const openSockets = new WeakMap<Server, Set<Socket>>();

function track(server: Server): Server {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  for (const socket of openSockets.get(server) ?? []) socket.destroy();
  return new Promise((r) => server.close(() => r()));
}

describe('Kafka probe', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => closeServer(s)));
  });

  it('encodes ApiVersions v0 and Metadata v12 requests with no topics', () => {
    const av = encodeApiVersionsRequest(7);
    expect(av.readInt32BE(0)).toBe(av.length - 4);
    expect([av.readInt16BE(4), av.readInt16BE(6), av.readInt32BE(8)]).toEqual([18, 0, 7]);
    const md = encodeMetadataRequest(9);
    expect([md.readInt16BE(4), md.readInt16BE(6), md.readInt32BE(8)]).toEqual([3, 12, 9]);
    // header tags, topics = empty compact array, two false flags, body tags
    expect([...md.subarray(-5)]).toEqual([0, 1, 0, 0, 0]);
  });

  it('decodes brokers, racks, cluster id and controller from a Metadata v12 response', () => {
    const summary = decodeMetadataResponse(metadataResponse(2, [[1, '127.0.0.1', 9092, 'az-a'], [2, 'h2', 9093, null]]), 2);
    expect(summary).toEqual({
      brokers: [
        { nodeId: 1, host: '127.0.0.1', port: 9092, rack: 'az-a' },
        { nodeId: 2, host: 'h2', port: 9093, rack: null },
      ],
      clusterId: 'cluster-xyz',
      controllerId: 2,
    });
  });

  it('rejects a truncated response instead of reading past it', () => {
    const full = metadataResponse(2, [[1, 'host', 9092, 'az-a']]);
    expect(() => decodeMetadataResponse(full.subarray(0, 20), 2)).toThrow(/truncated/);
  });

  it('asks a broker for API versions and metadata over one connection', async () => {
    const { server, port } = await fakeBroker((apiKey, corr) =>
      apiKey === 18 ? apiVersionsResponse(corr) : metadataResponse(corr, [[1, '127.0.0.1', port, 'az-a'], [3, '127.0.0.1', port + 2, 'az-c']]),
    );
    servers.push(server);
    const result = await probeKafka('127.0.0.1', port, { metadata: true });
    expect(result.error).toBeUndefined();
    expect(result.answers).toBe(true);
    expect(result.apiVersions?.get(3)).toEqual([0, 13]);
    expect(result.brokers?.map((b) => [b.nodeId, b.rack])).toEqual([[1, 'az-a'], [3, 'az-c']]);
    expect(result.clusterId).toBe('cluster-xyz');
  });

  it('reports, without throwing, a broker that refuses, hangs up or lacks Metadata v12', async () => {
    const refused = await probeKafka('127.0.0.1', 1, { timeoutMs: 1_000 });
    expect(refused.answers).toBe(false);
    expect(refused.error).toBeDefined();

    const hangup = await fakeBroker(() => undefined);
    servers.push(hangup.server);
    const closed = await probeKafka('127.0.0.1', hangup.port, { timeoutMs: 1_000 });
    expect(closed.answers).toBe(false);
    expect(closed.error).toMatch(/closed/);

    const old = await fakeBroker((apiKey, corr) => (apiKey === 18 ? apiVersionsResponse(corr, 8) : undefined));
    servers.push(old.server);
    const tooOld = await probeKafka('127.0.0.1', old.port, { metadata: true, timeoutMs: 1_000 });
    expect(tooOld.answers).toBe(true);
    expect(tooOld.error).toMatch(/Metadata v12/);
  });

  it('gives up on a broker that accepts but never answers', async () => {
    const silent = track(createServer(() => undefined));
    servers.push(silent);
    const port = await new Promise<number>((r) => silent.listen(0, '127.0.0.1', () => r((silent.address() as { port: number }).port)));
    const result = await probeKafka('127.0.0.1', port, { timeoutMs: 300 });
    expect(result.answers).toBe(false);
    expect(result.error).toMatch(/no answer within 300 ms/);
  }, 30_000);
});
