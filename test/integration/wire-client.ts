// A Kafka client at the wire, for tests that must see what a client receives (frame sizes,
// record batch headers) or that open many well-behaved connections cheaply: requests and
// answers through the generated codec, over a wire connection (wire-connection.ts).
import {
  ApiKey,
  createFetchRequest,
  createMetadataRequest,
  decodeResponseBody,
  decodeResponseHeader,
  encodeRequestFrame,
  responseHeaderVersion,
  scanRecordBatches,
  ZERO_UUID,
  type FetchRequest,
  type RecordBatchView,
  type RequestByApiKey,
  type ResponseByApiKey,
} from '../../src/codec/index.js';
import type { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { wireConnection } from './wire-connection.js';

const MiB = 1024 * 1024;

export interface WireAnswer<T> {
  /** The whole response frame's size, prefix included. */
  frameBytes: number;
  body: T;
}

export type WireApi = keyof RequestByApiKey & keyof ResponseByApiKey;

export class WireClient {
  private readonly conn: UpstreamConnection;
  readonly clientId: string;

  constructor(host: string, port: number, opts: { clientId?: string } = {}) {
    this.clientId = opts.clientId ?? 'it-wire';
    this.conn = wireConnection(port, host);
  }

  async call<K extends WireApi>(apiKey: K, version: number, body: RequestByApiKey[K]): Promise<WireAnswer<ResponseByApiKey[K]>> {
    const frame = await sendRequest(this.conn, encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 0, clientId: this.clientId }, body));
    const header = decodeResponseHeader(frame.subarray(4), responseHeaderVersion(apiKey, version));
    return { frameBytes: frame.length, body: decodeResponseBody(apiKey, version, frame.subarray(4 + header.headerSizeBytes)) };
  }

  close(): void {
    this.conn.close();
  }
}

/** A Fetch v12 request (topic names, read_uncommitted, sessionless) for partitions from their offsets. */
export function fetchRequest(partitions: ReadonlyArray<{ topic: string; partition: number; offset: bigint }>, partitionMaxBytes = MiB): FetchRequest {
  const req = createFetchRequest();
  req.maxWaitMs = 100;
  req.maxBytes = 64 * MiB;
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    req.topics.push({
      topic,
      topicId: ZERO_UUID,
      partitions: partitions
        .filter((p) => p.topic === topic)
        .map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes })),
    });
  }
  return req;
}

/** Where each partition of some topics is led, as a client learns it from Metadata v12. */
export interface LeaderView {
  /** Node id to its address. */
  nodes: Map<number, { host: string; port: number }>;
  /** `topic:partition` to the id of its leader's node. */
  leaders: Map<string, number>;
  /** Size of the Metadata response frame. */
  frameBytes: number;
}

export async function leadersOf(client: WireClient, topics: readonly string[]): Promise<LeaderView> {
  const req = createMetadataRequest();
  req.topics = topics.map((name) => ({ topicId: ZERO_UUID, name }));
  const { frameBytes, body } = await client.call(ApiKey.Metadata, 12, req);
  const nodes = new Map(body.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
  const leaders = new Map<string, number>();
  for (const t of body.topics) {
    if (t.errorCode !== 0) throw new Error(`Metadata for ${t.name} answered error ${t.errorCode}`);
    for (const p of t.partitions) leaders.set(`${t.name}:${p.partitionIndex}`, p.leaderId);
  }
  return { nodes, leaders, frameBytes };
}

/**
 * The first record batches a client gets for each partition of `topics` (up to
 * `partitionMaxBytes` each), keyed `topic:partition`: Fetch v12 (topic names,
 * read_uncommitted, from offset 0) at each partition's leader, asked again for the
 * partitions that came back without records, as a client would, until each has some.
 * Only for partitions that hold records.
 */
export async function fetchFirstBatches(host: string, bootstrapPort: number, topics: readonly string[], partitionMaxBytes = MiB): Promise<Map<string, RecordBatchView[]>> {
  const bootstrap = new WireClient(host, bootstrapPort);
  const view = await leadersOf(bootstrap, topics).finally(() => bootstrap.close());
  const batches = new Map<string, RecordBatchView[]>();
  const clients = new Map<number, WireClient>();
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const byLeader = new Map<number, Array<{ topic: string; partition: number }>>();
      for (const [key, leader] of view.leaders) {
        if (batches.has(key)) continue;
        const at = key.lastIndexOf(':');
        const list = byLeader.get(leader) ?? [];
        list.push({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)) });
        byLeader.set(leader, list);
      }
      if (byLeader.size === 0) return batches;
      if (Date.now() > deadline) throw new Error(`no records fetched from ${[...byLeader.values()].flat().map((p) => `${p.topic}:${p.partition}`).join(', ')} in 60 s`);
      for (const [leader, partitions] of byLeader) {
        let client = clients.get(leader);
        if (client === undefined) {
          const node = view.nodes.get(leader);
          if (node === undefined) throw new Error(`Metadata names leader ${leader}, which it does not list`);
          client = new WireClient(node.host, node.port);
          clients.set(leader, client);
        }
        const { body } = await client.call(ApiKey.Fetch, 12, fetchRequest(partitions.map((p) => ({ ...p, offset: 0n })), partitionMaxBytes));
        for (const t of body.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new Error(`Fetch of ${t.topic}:${p.partitionIndex} at node ${leader} answered error ${p.errorCode}`);
            const found = scanRecordBatches(p.records).batches;
            if (found.length > 0) batches.set(`${t.topic}:${p.partitionIndex}`, found);
          }
        }
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
}
