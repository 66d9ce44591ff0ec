// Many well-behaved Kafka clients in one process, at the wire, run by client-crowd.ts apart
// from the test process so that Turnout's memory readings there hold only Turnout. Each client
// is one connection to one of Turnout's node ports and does what a producer and a consumer do:
// ApiVersions, Metadata, a Produce (acks=all) of its own record to a partition that node leads,
// and a Fetch that reads the record back. All connect at once and stay connected; when every
// client is done it prints one JSON line,
//   {"clients":300,"ok":300,"failures":[]}
// then waits for its stdin to close before closing the connections and exiting.
//
// Usage: node --import tsx client-crowd-process.ts <host> <bootstrapPort> <topic> <clients>
import { singleRecordBatch } from '../../bench/produce-probe.js';
import { ApiKey, createApiVersionsRequest, createMetadataRequest, createProduceRequest, scanRecordBatches, ZERO_UUID } from '../../src/codec/index.js';
import { fetchRequest, leadersOf, WireClient } from './wire-client.js';

interface Assignment {
  client: WireClient;
  nodeId: number;
  partition: number;
  value: Buffer;
}

/** One client's round: every answer checked; throws with what went wrong. */
async function round(a: Assignment, topic: string): Promise<void> {
  const versions = createApiVersionsRequest();
  versions.clientSoftwareName = 'turnout-it-crowd';
  versions.clientSoftwareVersion = '1';
  const v = await a.client.call(ApiKey.ApiVersions, 3, versions);
  if (v.body.errorCode !== 0) throw new Error(`ApiVersions answered ${v.body.errorCode}`);

  const metadata = createMetadataRequest();
  metadata.topics = [{ topicId: ZERO_UUID, name: topic }];
  const md = await a.client.call(ApiKey.Metadata, 12, metadata);
  const leader = md.body.topics[0]?.partitions.find((p) => p.partitionIndex === a.partition)?.leaderId;
  if (leader !== a.nodeId) throw new Error(`Metadata names ${leader} as the leader of ${a.partition}, not node ${a.nodeId}`);

  const produce = createProduceRequest();
  produce.acks = -1;
  produce.timeoutMs = 30_000;
  produce.topicData = [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: a.partition, records: singleRecordBatch(a.value, BigInt(Date.now())) }] }];
  const p = await a.client.call(ApiKey.Produce, 9, produce);
  const acked = p.body.responses[0]?.partitionResponses[0];
  if (acked === undefined || acked.errorCode !== 0) throw new Error(`Produce answered ${acked?.errorCode ?? 'nothing'} for partition ${a.partition}`);

  const f = await a.client.call(ApiKey.Fetch, 12, fetchRequest([{ topic, partition: a.partition, offset: acked.baseOffset }]));
  const data = f.body.responses[0]?.partitions[0];
  if (data === undefined || data.errorCode !== 0) throw new Error(`Fetch answered ${data?.errorCode ?? 'nothing'} for partition ${a.partition}`);
  const first = scanRecordBatches(data.records).batches[0];
  if (first === undefined || first.baseOffset !== Number(acked.baseOffset) || !first.bytes().includes(a.value)) {
    throw new Error(`Fetch of partition ${a.partition} at ${acked.baseOffset} did not return the record produced there`);
  }
}

async function main(): Promise<void> {
  const [host, bootstrapPort, topic, count] = process.argv.slice(2);
  if (host === undefined || topic === undefined || !/^\d+$/.test(bootstrapPort ?? '') || !/^\d+$/.test(count ?? '')) {
    throw new Error('usage: client-crowd-process.ts <host> <bootstrapPort> <topic> <clients>');
  }
  const boot = new WireClient(host, Number(bootstrapPort));
  const view = await leadersOf(boot, [topic]).finally(() => boot.close());
  const byNode = new Map<number, number[]>();
  for (const [key, leader] of view.leaders) byNode.set(leader, [...(byNode.get(leader) ?? []), Number(key.slice(key.lastIndexOf(':') + 1))]);
  const nodes = [...byNode.keys()].sort((x, y) => x - y);

  const assignments: Assignment[] = Array.from({ length: Number(count) }, (_, i) => {
    const nodeId = nodes[i % nodes.length] as number;
    const partitions = byNode.get(nodeId) as number[];
    const address = view.nodes.get(nodeId);
    if (address === undefined) throw new Error(`Metadata does not list node ${nodeId}`);
    return { client: new WireClient(address.host, address.port, { clientId: `crowd-${i}` }), nodeId, partition: partitions[Math.floor(i / nodes.length) % partitions.length] as number, value: Buffer.from(`crowd client ${i} of ${count}`) };
  });
  const failures: string[] = [];
  await Promise.all(
    assignments.map((a, i) =>
      round(a, topic).catch((err: unknown) => {
        failures.push(`client ${i}: ${err instanceof Error ? err.message : String(err)}`);
      }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ clients: assignments.length, ok: assignments.length - failures.length, failures: failures.slice(0, 20) })}\n`);

  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once('end', resolve));
  for (const a of assignments) a.client.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`client crowd failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
