// A transactional producer at the wire, for tests that must choose what each request carries
// and see each answer's error code: InitProducerId, AddPartitionsToTxn and EndTxn on its
// bootstrap connection, Produce at the partition's leader (found through Metadata on that
// connection, as a client finds it), each asked again on the errors a client retries. It counts
// each partition's sequences as the Java client does: from 0 after InitProducerId, advanced by
// a batch the broker took.
import { ApiKey, createAddPartitionsToTxnRequest, createEndTxnRequest, createInitProducerIdRequest, createProduceRequest, ZERO_UUID } from '../../src/codec/index.js';
import { recordBatch } from '../unit/routing/record-batches.js';
import { leadersOf, WireClient } from './wire-client.js';

/** Errors a client retries the same request after: a coordinator or a transaction still settling, a leader moving. */
const RETRIED = new Set([6, 14, 15, 16, 19, 51]);
const RETRY_FOR_MS = 30_000;

/** `attempt`'s error code, asked again (as a client would) while it is one of RETRIED, for up to 30 s. */
export async function retried(attempt: () => Promise<number>): Promise<number> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    const code = await attempt();
    if (!RETRIED.has(code) || Date.now() > deadline) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

export class WireTransactionalProducer {
  private client: WireClient;
  private producerId = -1n;
  private producerEpoch = -1;
  /** Partition → the sequence of its next batch. */
  private readonly sequences = new Map<number, number>();

  constructor(
    bootstrap: string,
    readonly transactionalId: string,
    readonly topic: string,
    private readonly clientId = 'it-wire-txn',
  ) {
    this.client = new WireClient(...hostPort(bootstrap), { clientId });
  }

  /** The sequence the next batch on `partition` carries. */
  sequenceOf(partition: number): number {
    return this.sequences.get(partition) ?? 0;
  }

  /** Goes on through another Turnout (or the same one restarted): a new bootstrap connection, the same producer. */
  reconnect(bootstrap: string): void {
    this.client.close();
    this.client = new WireClient(...hostPort(bootstrap), { clientId: this.clientId });
  }

  /** InitProducerId v4; the error code. */
  async init(): Promise<number> {
    const init = createInitProducerIdRequest();
    Object.assign(init, { transactionalId: this.transactionalId, transactionTimeoutMs: 60_000, producerId: this.producerId, producerEpoch: this.producerEpoch });
    const code = await retried(async () => {
      const answer = (await this.client.call(ApiKey.InitProducerId, 4, init)).body;
      if (answer.errorCode === 0) {
        this.producerId = answer.producerId;
        this.producerEpoch = answer.producerEpoch;
      }
      return answer.errorCode;
    });
    if (code === 0) this.sequences.clear();
    return code;
  }

  /** AddPartitionsToTxn v3 of the topic's `partitions`; the first error code, or 0. */
  addPartitions(partitions: readonly number[]): Promise<number> {
    return retried(async () => {
      const add = createAddPartitionsToTxnRequest();
      Object.assign(add, {
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: [{ name: this.topic, partitions: [...partitions] }],
      });
      const results = (await this.client.call(ApiKey.AddPartitionsToTxn, 3, add)).body.resultsByTopicV3AndBelow[0].resultsByPartition;
      return results.find((r) => r.partitionErrorCode !== 0)?.partitionErrorCode ?? 0;
    });
  }

  /** A transactional batch of `values` on `partition`, Produce v9 at its leader; the error code. */
  async send(partition: number, values: readonly string[]): Promise<number> {
    const records = await recordBatch({ producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: this.sequenceOf(partition), transactional: true, values });
    const code = await retried(async () => {
      // Asked again each time: it may be another node after a switch or a restart.
      const view = await leadersOf(this.client, [this.topic]);
      const leader = view.nodes.get(view.leaders.get(`${this.topic}:${partition}`) ?? -1);
      if (leader === undefined) throw new Error(`no leader of ${this.topic}-${partition} in ${JSON.stringify([...view.leaders])}`);
      const atLeader = new WireClient(leader.host, leader.port, { clientId: this.clientId });
      try {
        const req = createProduceRequest();
        Object.assign(req, { transactionalId: this.transactionalId, acks: -1, timeoutMs: 10_000 });
        req.topicData = [{ name: this.topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }];
        return (await atLeader.call(ApiKey.Produce, 9, req)).body.responses[0].partitionResponses[0].errorCode;
      } finally {
        atLeader.close();
      }
    });
    if (code === 0) this.sequences.set(partition, this.sequenceOf(partition) + values.length);
    return code;
  }

  /** EndTxn v3; the error code. */
  end(committed: boolean): Promise<number> {
    return retried(async () => {
      const req = createEndTxnRequest();
      Object.assign(req, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed });
      return (await this.client.call(ApiKey.EndTxn, 3, req)).body.errorCode;
    });
  }

  close(): void {
    this.client.close();
  }
}
