// What every client of a traffic run reports to: the ledger of acknowledged records, the
// produce latencies, the issues each client had, and the phase the run is in. And what the
// run asks of every client.
import type { AckLedger } from './ack-ledger.js';
import type { ClientIssues, TrafficPhase } from './client-issues.js';
import type { ProduceLatency } from './produce-latency.js';

export interface TrafficContext {
  /** The one topic every producer writes and every group reads. */
  readonly topic: string;
  readonly partitions: number;
  readonly ledger: AckLedger;
  readonly latency: ProduceLatency;
  /** A folder of the run's own for client configuration files. */
  readonly dir: string;
  phase(): TrafficPhase;
  /** The issues of one client (made on first use). */
  issues(client: string): ClientIssues;
  /**
   * A record's CreateTime as a consumer saw it: the send time of producers that report only
   * their acknowledgements (the VerifiableProducer; its client stamps each record in send()).
   */
  noteCreateTime(partition: number, offset: number, timestampMs: number): void;
}

/** A client of the run: a producer, or one member of a group. */
export interface TrafficClient {
  readonly name: string;
  /** Ends it gently: a producer stops sending and waits for every acknowledgement; a member leaves its group. */
  stop(): Promise<void>;
  /** Ends it at once (cleanup after a failure). */
  kill(): void;
}

export interface ProducerClient extends TrafficClient {
  /** Records acknowledged so far. */
  acked(): number;
}
