// A fake Kafka broker for unit tests: answers ApiVersions and Metadata with the codec, from
// a cluster description the test controls. Several instances form a fake cluster.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  APIS,
  ApiKey,
  apiCodec,
  createApiVersionsResponse,
  createMetadataResponse,
  decodeRequestHeader,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { FrameReader } from '../../../src/net/frame-reader.js';

export interface FakeClusterState {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  /** Api key → max version this cluster advertises (default: the codec's max). */
  maxVersions: Map<number, number>;
}

export class FakeKafkaBroker {
  readonly nodeId: number;
  readonly state: FakeClusterState;
  readonly requests: Array<{ apiKey: number; apiVersion: number }> = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(nodeId: number, state: FakeClusterState) {
    this.nodeId = nodeId;
    this.state = state;
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const reader = new FrameReader(1 << 20, (frame) => {
        const res = this.answer(frame.subarray(4));
        if (res !== null && !socket.destroyed) socket.write(res);
      });
      socket.on('data', (b: Buffer) => reader.push(b));
    });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private answer(body: Buffer): Buffer | null {
    const h = decodeRequestHeader(body);
    this.requests.push({ apiKey: h.apiKey, apiVersion: h.apiVersion });
    if (h.apiKey === ApiKey.ApiVersions) {
      const m = createApiVersionsResponse();
      m.apiKeys = APIS.map((a) => ({
        apiKey: a.apiKey,
        minVersion: a.minVersion,
        maxVersion: Math.min(a.maxVersion, this.state.maxVersions.get(a.apiKey) ?? a.maxVersion),
      }));
      m.finalizedFeatures = [{ name: 'metadata.version', minVersionLevel: 1, maxVersionLevel: 27 }];
      m.finalizedFeaturesEpoch = 5n;
      m.supportedFeatures = [];
      return encodeResponseFrame(h.correlationId, ApiKey.ApiVersions, Math.min(h.apiVersion, 3), m);
    }
    if (h.apiKey === ApiKey.Metadata) {
      const m = createMetadataResponse();
      m.brokers = this.state.brokers.map((b) => ({ ...b }));
      m.clusterId = this.state.clusterId;
      m.controllerId = this.state.controllerId;
      m.topics = [];
      return encodeResponseFrame(h.correlationId, ApiKey.Metadata, h.apiVersion, m);
    }
    const codec = apiCodec(h.apiKey);
    if (codec === undefined) return null;
    return encodeResponseFrame(h.correlationId, h.apiKey, h.apiVersion, codec.createResponse());
  }
}

/** Starts `n` fake brokers with ids 11, 12, ... in racks r1, r2, ... */
export async function startFakeCluster(n: number): Promise<{ brokers: FakeKafkaBroker[]; state: FakeClusterState; close: () => Promise<void> }> {
  const state: FakeClusterState = { clusterId: 'fAkEbAcKeNdClUsTeRiD00', controllerId: 11, brokers: [], maxVersions: new Map() };
  const brokers: FakeKafkaBroker[] = [];
  for (let i = 0; i < n; i++) {
    const b = new FakeKafkaBroker(11 + i, state);
    await b.listen();
    brokers.push(b);
    state.brokers.push({ nodeId: 11 + i, host: '127.0.0.1', port: b.port, rack: `r${i + 1}` });
  }
  return { brokers, state, close: async () => Promise.all(brokers.map((b) => b.close())).then(() => undefined) };
}
