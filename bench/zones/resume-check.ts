// Where each consumer resumed after joining its group. Kafka's group guarantee is at least
// once: after a (re)join a member reads each of its partitions from the group's committed
// offset, so records it read but whose commit did not go through (the coordinator moved,
// say) are read again. That is allowed only there: every tenure (one consumer's reads of one
// partition between two of its joins) must start exactly at the offset last committed for
// that partition by whoever read it before, and only those records may be read twice.

/** One consumer's reads of one partition between two of its joins. */
export interface Tenure {
  partition: number;
  /** How many times the consumer had joined its group when this tenure began. */
  join: number;
  /** When its first record was read (one machine, one clock). */
  startedAtMs: number;
  /** First and last offset read. */
  from: number;
  to: number;
  /** Last commit the coordinator acknowledged in this tenure (the next offset to read), if any. */
  committed: number | null;
}

export interface MisplacedResume {
  partition: number;
  /** Where the tenure started, and where the group's last acknowledged commit said it should. */
  from: number;
  committed: number;
}

export interface ResumeCheck {
  tenures: number;
  /** Offsets a tenure read that an earlier tenure had already read. */
  redeliveredOffsets: number;
  /** Partitions read again, and by how many records. */
  redeliveredByPartition: Record<string, number>;
  /** Tenures that did not start at the partition's last committed offset. */
  misplaced: MisplacedResume[];
}

/** `tenures` of every consumer of a fresh topic (offsets from 0, nothing committed before). */
export function checkResumes(tenures: readonly Tenure[]): ResumeCheck {
  const byPartition = new Map<number, Tenure[]>();
  for (const t of tenures) {
    let list = byPartition.get(t.partition);
    if (list === undefined) byPartition.set(t.partition, (list = []));
    list.push(t);
  }
  const misplaced: MisplacedResume[] = [];
  const redeliveredByPartition: Record<string, number> = {};
  let redelivered = 0;
  for (const [partition, list] of [...byPartition].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.startedAtMs - b.startedAtMs);
    let committed = 0;
    let next = 0;
    for (const t of list) {
      if (t.from !== committed) misplaced.push({ partition, from: t.from, committed });
      const again = Math.max(0, Math.min(next, t.to + 1) - t.from);
      if (again > 0) redeliveredByPartition[String(partition)] = (redeliveredByPartition[String(partition)] ?? 0) + again;
      redelivered += again;
      next = Math.max(next, t.to + 1);
      committed = t.committed ?? committed;
    }
  }
  return {
    tenures: tenures.length,
    redeliveredOffsets: redelivered,
    redeliveredByPartition,
    misplaced,
  };
}
