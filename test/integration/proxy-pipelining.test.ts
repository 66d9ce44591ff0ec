// Many requests in flight on one connection: answered in request order whether Turnout
// answers them itself or a broker does, acks=0 produce unanswered, and a client that stops
// reading makes Turnout stop reading from it instead of buffering without bound.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  apiCodec,
  createApiVersionsRequest,
  createDescribeClusterRequest,
  createMetadataRequest,
  createProduceRequest,
  encodeRequestFrame,
} from '../../src/codec/index.js';
import { FrameReader } from '../../src/net/frame-reader.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { decodeResponseFrame } from '../../src/codec/message-frames.js';
import { mainCluster, waitFor } from './rig.js';

let proxy: ProxyHandle;

beforeAll(async () => {
  proxy = await startProxy({
    virtualCluster: { clusterId: 'tUrNoUtPiPeLiNiNg00000' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    limits: { maxInFlightRequests: 8, writeHighWaterBytes: 64 * 1024 },
    logging: { level: 'silent' },
  });
});

afterAll(async () => {
  await proxy?.close();
});

interface Req {
  apiKey: number;
  version: number;
  body: unknown;
}

const apiVersions = (version: number): Req => {
  const body = createApiVersionsRequest();
  if (version >= 3) {
    body.clientSoftwareName = 'it';
    body.clientSoftwareVersion = '1';
  }
  return { apiKey: ApiKey.ApiVersions, version, body };
};
const metadata = (): Req => {
  const body = createMetadataRequest();
  body.topics = [];
  return { apiKey: ApiKey.Metadata, version: 12, body };
};
const describeCluster = (): Req => ({ apiKey: ApiKey.DescribeCluster, version: 1, body: createDescribeClusterRequest() });
const produceAcks0 = (): Req => {
  const body = createProduceRequest();
  body.acks = 0;
  body.timeoutMs = 1000;
  return { apiKey: ApiKey.Produce, version: 9, body };
};

function frameOf(r: Req, correlationId: number): Buffer {
  return encodeRequestFrame({ apiKey: r.apiKey, apiVersion: r.version, correlationId, clientId: 'it-pipeline' }, r.body as never);
}

/** A raw client: writes frames, collects response frames. */
class RawClient {
  readonly socket: net.Socket;
  readonly responses: Buffer[] = [];
  private readonly reader = new FrameReader(100 * 1024 * 1024, (f) => this.responses.push(Buffer.from(f)));
  closed = false;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (b: Buffer) => this.reader.push(b));
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.on('error', () => undefined);
  }

  connected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  async waitForResponses(n: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => this.responses.length >= n || this.closed, { timeoutMs, intervalMs: 20, what: `${n} responses` });
    expect(this.closed).toBe(false);
  }
}

async function requestsSeen(api: string): Promise<number> {
  const text = await proxy.registry.metrics();
  let n = 0;
  for (const m of text.matchAll(new RegExp(`turnout_requests_total\\{api="${api}",version="\\d+"\\} (\\d+)`, 'g'))) n += Number(m[1]);
  return n;
}

describe('pipelining', () => {
  it('releases responses in request order, mixing local and forwarded answers', async () => {
    const client = new RawClient(proxy.ports().bootstrap);
    await client.connected();
    const plan: Req[] = [];
    for (let i = 0; i < 40; i++) plan.push([apiVersions(3), metadata(), apiVersions(0), describeCluster()][i % 4]);
    client.socket.write(Buffer.concat(plan.map((r, i) => frameOf(r, 1000 + i))));
    await client.waitForResponses(plan.length);
    expect(client.responses.map((f) => f.readInt32BE(4))).toEqual(plan.map((_, i) => 1000 + i));
    plan.forEach((r, i) => {
      const codec = apiCodec(r.apiKey);
      expect(() => decodeResponseFrame(client.responses[i], r.apiKey, r.version, codec!.decodeResponse)).not.toThrow();
    });
    client.socket.destroy();
  });

  it('sends no response for acks=0 produce and keeps the others in order', async () => {
    const [, nodePort] = [...proxy.ports().nodes][0];
    const client = new RawClient(nodePort);
    await client.connected();
    const plan = [produceAcks0(), metadata(), produceAcks0(), apiVersions(3), produceAcks0(), describeCluster()];
    client.socket.write(Buffer.concat(plan.map((r, i) => frameOf(r, i + 1))));
    await client.waitForResponses(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.responses.map((f) => f.readInt32BE(4))).toEqual([2, 4, 6]);
    client.socket.destroy();
  });

  it('stops reading from a client that does not read its responses, then catches up in order', async () => {
    const client = new RawClient(proxy.ports().bootstrap);
    await client.connected();
    client.socket.pause();
    const before = await requestsSeen('ApiVersions');
    const total = 30_000;
    const req = apiVersions(3);
    const frames: Buffer[] = [];
    for (let i = 0; i < total; i++) frames.push(frameOf(req, i));
    const heapBefore = process.memoryUsage().heapUsed;
    client.socket.write(Buffer.concat(frames));
    await new Promise((r) => setTimeout(r, 2_000));
    const seenWhilePaused = (await requestsSeen('ApiVersions')) - before;
    // Turnout answered only what fits in the client's write buffer and the kernel's socket
    // buffers, and then stopped reading.
    expect(seenWhilePaused).toBeGreaterThan(0);
    expect(seenWhilePaused).toBeLessThan(total / 2);
    const grownBytes = process.memoryUsage().heapUsed - heapBefore;
    expect(grownBytes).toBeLessThan(64 * 1024 * 1024);

    client.socket.resume();
    await client.waitForResponses(total, 60_000);
    const ids = client.responses.map((f) => f.readInt32BE(4));
    expect(ids.length).toBe(total);
    expect(ids.every((id, i) => id === i)).toBe(true);
    client.socket.destroy();
  });
});
