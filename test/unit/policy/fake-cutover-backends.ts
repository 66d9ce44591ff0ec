// Backends in memory for the cutover coordinator tests: per backend, topics with partitions
// whose log end offset, high watermark and last stable offset a test sets and moves.
import { CutoverBackendError, partitionKey, type CommittedOffset, type CutoverBackends, type EndOffsetKind, type TopicLayouts } from '../../../src/policy/cutover-backends.js';

export interface FakePartition {
  logEnd: bigint;
  high: bigint;
  stable: bigint;
}

export class FakeCutoverBackends implements CutoverBackends {
  readonly topicsOf = new Map<string, Map<string, FakePartition[]>>();
  readonly configsOf = new Map<string, Map<string, Map<string, string>>>();
  readonly openTxns = new Map<string, Array<{ id: string; topic: string; partition: number }>>();
  readonly aborted: string[] = [];
  readonly committed: CommittedOffset[] = [];
  unreachable = new Set<string>();
  /** Called before every end offset read (a writer bypassing Turnout, for instance). */
  beforeRead: (backend: string, kind: EndOffsetKind) => void = () => undefined;

  addTopic(backend: string, topic: string, ends: bigint[], configs: Record<string, string> = {}): void {
    let topics = this.topicsOf.get(backend);
    if (topics === undefined) this.topicsOf.set(backend, (topics = new Map()));
    topics.set(topic, ends.map((e) => ({ logEnd: e, high: e, stable: e })));
    let c = this.configsOf.get(backend);
    if (c === undefined) this.configsOf.set(backend, (c = new Map()));
    c.set(topic, new Map(Object.entries({ 'cleanup.policy': 'delete', 'max.message.bytes': '1048588', 'message.timestamp.type': 'CreateTime', ...configs })));
  }

  partition(backend: string, topic: string, index: number): FakePartition {
    const p = this.topicsOf.get(backend)?.get(topic)?.[index];
    if (p === undefined) throw new Error(`no ${topic}-${index} on ${backend}`);
    return p;
  }

  /** Appends records as a producer would: the end and the watermarks move together. */
  write(backend: string, topic: string, index: number, records: number): void {
    const p = this.partition(backend, topic, index);
    p.logEnd += BigInt(records);
    p.high = p.logEnd;
    p.stable = p.logEnd;
  }

  reachable(backend: string): boolean {
    return !this.unreachable.has(backend) && this.topicsOf.has(backend);
  }

  async topics(backend: string, names: readonly string[] | null): Promise<TopicLayouts> {
    this.check(backend);
    const out: TopicLayouts = new Map();
    for (const [name, partitions] of this.topicsOf.get(backend) ?? []) {
      if (names !== null && !names.includes(name)) continue;
      out.set(name, partitions.map((_, index) => ({ index, leaderId: 1, leaderEpoch: 0 })));
    }
    return out;
  }

  async configs(backend: string, topics: readonly string[], names: readonly string[]): Promise<Map<string, Map<string, string | null>>> {
    this.check(backend);
    const out = new Map<string, Map<string, string | null>>();
    for (const t of topics) {
      const c = this.configsOf.get(backend)?.get(t);
      if (c !== undefined) out.set(t, new Map(names.map((n) => [n, c.get(n) ?? null])));
    }
    return out;
  }

  async endOffsets(backend: string, layouts: TopicLayouts, kind: EndOffsetKind): Promise<Map<string, bigint>> {
    this.check(backend);
    this.beforeRead(backend, kind);
    const out = new Map<string, bigint>();
    for (const [topic, partitions] of layouts) {
      for (const p of partitions) {
        const f = this.partition(backend, topic, p.index);
        out.set(partitionKey(topic, p.index), kind === 'log-end' ? f.logEnd : kind === 'high-watermark' ? f.high : f.stable);
      }
    }
    return out;
  }

  async openTransactions(backend: string, topics: ReadonlySet<string>): Promise<string[]> {
    return (this.openTxns.get(backend) ?? []).filter((t) => topics.has(t.topic)).map((t) => t.id);
  }

  async abortTransaction(backend: string, transactionalId: string): Promise<void> {
    this.aborted.push(transactionalId);
    const open = this.openTxns.get(backend) ?? [];
    for (const t of open.filter((x) => x.id === transactionalId)) {
      // The abort marker is written: one more offset, and nothing open before the end.
      const p = this.partition(backend, t.topic, t.partition);
      p.logEnd += 1n;
      p.high = p.logEnd;
      p.stable = p.logEnd;
    }
    this.openTxns.set(backend, open.filter((x) => x.id !== transactionalId));
  }

  async committedOffsets(_backend: string, wanted: (group: string) => boolean, topics: ReadonlySet<string>): Promise<CommittedOffset[]> {
    return this.committed.filter((c) => wanted(c.group) && topics.has(c.topic));
  }

  private check(backend: string): void {
    if (this.unreachable.has(backend)) throw new CutoverBackendError(backend, 'unreachable');
  }
}
