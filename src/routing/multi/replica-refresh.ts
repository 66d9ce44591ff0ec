// Turnout's own Metadata requests for the partitions whose replicas it fetches from: asked
// when a follower answered with an error or could not be reached, and when what Turnout knows
// of a partition fetched from followers is older than the refresh interval. Requests for one
// backend are merged and sent at most once per MIN_GAP_MS; the answers update the leaders and
// in-sync replicas every partition's routing reads.
import type { MetadataResponse } from '../../codec/index.js';
import type { Logger } from '../../observability/logger.js';
import type { PartitionLeaders } from './partition-leaders.js';

const MIN_GAP_MS = 1_000;

export interface ReplicaRefreshOptions {
  leaders: PartitionLeaders;
  /** Asks a broker of the backend for the topics' metadata. */
  ask(backend: string, topics: string[]): Promise<MetadataResponse>;
  log: Logger;
  minGapMs?: number;
}

interface BackendRefresh {
  pending: Set<string>;
  timer: NodeJS.Timeout | null;
  inFlight: boolean;
  lastSentMs: number;
}

export class ReplicaRefresh {
  private readonly opts: ReplicaRefreshOptions;
  private readonly minGapMs: number;
  private readonly backends = new Map<string, BackendRefresh>();

  constructor(opts: ReplicaRefreshOptions) {
    this.opts = opts;
    this.minGapMs = opts.minGapMs ?? MIN_GAP_MS;
  }

  /** Asks for a refresh of a topic's partitions soon. */
  request(backend: string, topic: string): void {
    let b = this.backends.get(backend);
    if (b === undefined) this.backends.set(backend, (b = { pending: new Set(), timer: null, inFlight: false, lastSentMs: 0 }));
    b.pending.add(topic);
    this.schedule(backend, b);
  }

  private schedule(backend: string, b: BackendRefresh): void {
    if (b.timer !== null || b.inFlight || b.pending.size === 0) return;
    const waitMs = Math.max(0, b.lastSentMs + this.minGapMs - Date.now());
    b.timer = setTimeout(() => {
      b.timer = null;
      void this.send(backend, b);
    }, waitMs);
    b.timer.unref();
  }

  private async send(backend: string, b: BackendRefresh): Promise<void> {
    const topics = [...b.pending];
    b.pending.clear();
    b.inFlight = true;
    const sentMs = Date.now();
    b.lastSentMs = sentMs;
    try {
      const answer = await this.opts.ask(backend, topics);
      for (const t of answer.topics) {
        if (t.errorCode !== 0 || t.name === null) continue;
        for (const p of t.partitions) {
          if (p.errorCode === 0 || p.leaderId >= 0) this.opts.leaders.record(backend, t.name, p.partitionIndex, p.leaderId, p.isrNodes, sentMs, p.leaderEpoch, p.replicaNodes);
        }
      }
    } catch (err) {
      this.opts.log.debug({ err, backend, topics }, 'replica refresh failed');
    } finally {
      b.inFlight = false;
      this.schedule(backend, b);
    }
  }
}
