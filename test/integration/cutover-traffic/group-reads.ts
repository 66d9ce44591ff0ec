// What one consumer group read during a traffic run, judged against what the producers had
// acknowledged (ack-ledger.ts). Per partition: every acknowledged record read exactly once,
// with the value acknowledged at that offset, each member's reads in offset order; no record
// of an aborted transaction; and no rebalance once the group had settled.
import type { AckLedger } from './ack-ledger.js';
import type { TrafficPhase } from './client-issues.js';

/** One record as a member read it. */
export interface ReadRecord {
  partition: number;
  offset: number;
  value: string | null;
}

/** The faults a group's reads can show: every one is zero in a clean run. */
export interface ReadFaults {
  /** Expected records the group never read. */
  lost: number;
  /** Reads beyond the first of one offset. */
  duplicated: number;
  /** Reads whose offset was not above the member's previous read of that partition. */
  reordered: number;
  /** Reads whose value differs from the value acknowledged at that offset. */
  mismatched: number;
  /** Reads of records of aborted transactions. */
  abortedSeen: number;
  /** Reads at offsets no producer had acknowledged. */
  unacknowledged: number;
  /** Assignment changes (assigned, revoked, lost, a new generation) after the group settled. */
  rebalances: number;
}

/** What a group's reads come to. */
export interface GroupVerdict extends ReadFaults {
  group: string;
  /** Client and protocol, e.g. `java-classic`. */
  kind: string;
  members: number;
  /** Records the producers had acknowledged (committed, for transactions). */
  expected: number;
  /** Records read, repeats included. */
  read: number;
  /**
   * Partitions whose committed offset, read after the group stopped, is not between the offset
   * after the last record the group read and the partition's end (null: not checked).
   */
  commitsOff: number | null;
  /** A few examples of each problem, to show. */
  samples: string[];
}

/** A group's committed offsets and each partition's end offset, read after the group stopped. */
export interface CommittedOffsets {
  /** Partition → committed offset (-1: none). */
  committed: ReadonlyMap<number, number>;
  /** Partition → end offset (high watermark). */
  end: ReadonlyMap<number, number>;
}

const SAMPLES_KEPT = 8;

interface OffsetReads {
  count: number;
  value: string | null;
  /** Another read of the offset gave another value. */
  valueChanged: boolean;
}

export class GroupReads {
  /** Partition → offset → reads. */
  private readonly reads = new Map<number, Map<number, OffsetReads>>();
  /** Member → partition → last offset read. */
  private readonly lastRead = new Map<string, Map<number, number>>();
  /** Member → partitions it owns now. */
  private readonly owned = new Map<string, Set<number>>();
  private readCount = 0;
  private reorderCount = 0;
  private rebalanceCount = 0;
  private changeCount = 0;
  private readonly everAssigned = new Set<string>();
  private readonly samples: string[] = [];

  constructor(
    readonly group: string,
    readonly kind: string,
    readonly memberNames: readonly string[],
  ) {
    for (const m of memberNames) this.owned.set(m, new Set());
  }

  read(member: string, r: ReadRecord): void {
    this.readCount++;
    let offsets = this.reads.get(r.partition);
    if (offsets === undefined) this.reads.set(r.partition, (offsets = new Map()));
    const seen = offsets.get(r.offset);
    if (seen === undefined) offsets.set(r.offset, { count: 1, value: r.value, valueChanged: false });
    else {
      seen.count++;
      if (seen.value !== r.value) seen.valueChanged = true;
    }
    let last = this.lastRead.get(member);
    if (last === undefined) this.lastRead.set(member, (last = new Map()));
    const previous = last.get(r.partition);
    if (previous !== undefined && r.offset <= previous) {
      this.reorderCount++;
      this.sample(`${member} read partition ${r.partition} offset ${r.offset} after offset ${previous}`);
    } else last.set(r.partition, r.offset);
  }

  /** Partitions a member was given (added to what it owns). */
  assigned(member: string, partitions: readonly number[], phase: TrafficPhase): void {
    const owned = this.ownedBy(member);
    for (const p of partitions) owned.add(p);
    this.everAssigned.add(member);
    this.assignmentChange(member, 'assigned', partitions, phase);
  }

  /** Partitions a member gave up (revoked or lost). */
  revoked(member: string, partitions: readonly number[], phase: TrafficPhase, how: 'revoked' | 'lost' = 'revoked'): void {
    const owned = this.ownedBy(member);
    for (const p of partitions) owned.delete(p);
    this.assignmentChange(member, how, partitions, phase);
  }

  /** A member's whole assignment after a join (clients that report each join and its result). */
  joined(member: string, partitions: readonly number[], phase: TrafficPhase): void {
    this.owned.set(member, new Set(partitions));
    this.everAssigned.add(member);
    this.assignmentChange(member, 'joined with', partitions, phase);
  }

  /** A member learned its group is rebalancing (it will join again). */
  rebalancing(member: string, phase: TrafficPhase): void {
    this.assignmentChange(member, 'was told the group rebalances, owning', [...this.ownedBy(member)], phase);
  }

  /**
   * Whether every member has been given an assignment (an empty one counts), every partition
   * 0..count-1 has exactly one owner and the shares differ by one at most: where every assignor
   * of these clients ends with one topic. (A group whose members joined at different times can
   * cover every partition before its last member has its share: that is not settled.)
   */
  settled(partitionCount: number): boolean {
    if (this.memberNames.some((m) => !this.everAssigned.has(m))) return false;
    const all: number[] = [];
    const shares: number[] = [];
    for (const set of this.owned.values()) {
      all.push(...set);
      shares.push(set.size);
    }
    if (all.length !== partitionCount || Math.max(...shares) - Math.min(...shares) > 1) return false;
    const distinct = new Set(all);
    return distinct.size === partitionCount && [...distinct].every((p) => p >= 0 && p < partitionCount);
  }

  /** Assignment changes of any member so far, in any phase (it stops moving once the group has settled). */
  assignmentChanges(): number {
    return this.changeCount;
  }

  /** Who owns what, for an error message. */
  describeOwners(): string {
    return [...this.owned].map(([m, set]) => `${m} owns [${[...set].sort((a, b) => a - b).join(',')}]`).join('; ');
  }

  /** Expected records of the ledger this group has not read yet. */
  missing(ledger: AckLedger): number {
    let n = 0;
    for (const partition of ledger.partitions()) {
      const offsets = this.reads.get(partition);
      for (const offset of ledger.expectedOffsets(partition)) if (offsets?.has(offset) !== true) n++;
    }
    return n;
  }

  verdict(ledger: AckLedger, offsets?: CommittedOffsets): GroupVerdict {
    const samples = [...this.samples];
    const sample = (text: string): void => {
      if (samples.length < SAMPLES_KEPT * 2) samples.push(text);
    };
    let commitsOff: number | null = null;
    if (offsets !== undefined) {
      commitsOff = 0;
      for (const [partition, end] of offsets.end) {
        let after = 0;
        for (const offset of this.reads.get(partition)?.keys() ?? []) after = Math.max(after, offset + 1);
        // -1: the group committed nothing there, which is right only where it read nothing.
        const committed = offsets.committed.get(partition) ?? -1;
        if (committed === -1 ? after > 0 : committed < after || committed > end) {
          commitsOff++;
          sample(`partition ${partition}: committed ${committed}, read up to ${after}, end ${end}`);
        }
      }
    }
    let expected = 0;
    let lost = 0;
    for (const partition of ledger.partitions()) {
      const offsets = this.reads.get(partition);
      for (const offset of ledger.expectedOffsets(partition)) {
        expected++;
        if (offsets?.has(offset) !== true) {
          lost++;
          sample(`lost: partition ${partition} offset ${offset}`);
        }
      }
    }
    let duplicated = 0;
    let mismatched = 0;
    let abortedSeen = 0;
    let unacknowledged = 0;
    for (const [partition, offsets] of this.reads) {
      for (const [offset, seen] of offsets) {
        const v = ledger.verdict(partition, offset);
        if (seen.count > 1) {
          duplicated += seen.count - 1;
          sample(`read ${seen.count} times: partition ${partition} offset ${offset}`);
        }
        if (v.kind === 'unknown') {
          unacknowledged += seen.count;
          sample(`unacknowledged: partition ${partition} offset ${offset} value ${String(seen.value)}`);
          continue;
        }
        if (seen.valueChanged || seen.value !== v.record.value) {
          mismatched++;
          sample(`partition ${partition} offset ${offset}: read ${String(seen.value)}, acknowledged ${v.record.value}`);
        }
        if (v.kind === 'aborted') {
          abortedSeen += seen.count;
          sample(`aborted record read: partition ${partition} offset ${offset} ${v.record.value}`);
        }
      }
    }
    return {
      group: this.group,
      kind: this.kind,
      members: this.memberNames.length,
      expected,
      read: this.readCount,
      lost,
      duplicated,
      reordered: this.reorderCount,
      mismatched,
      abortedSeen,
      unacknowledged,
      rebalances: this.rebalanceCount,
      commitsOff,
      samples,
    };
  }

  private ownedBy(member: string): Set<number> {
    let owned = this.owned.get(member);
    if (owned === undefined) this.owned.set(member, (owned = new Set()));
    return owned;
  }

  private assignmentChange(member: string, what: string, partitions: readonly number[], phase: TrafficPhase): void {
    this.changeCount++;
    // Joining is the clients' business before the run settles; leaving is, once it stops.
    if (phase !== 'steady' && phase !== 'draining') return;
    this.rebalanceCount++;
    this.sample(`rebalance (${phase}): ${member} ${what} [${partitions.join(',')}]`);
  }

  private sample(text: string): void {
    if (this.samples.length < SAMPLES_KEPT) this.samples.push(text);
  }
}
