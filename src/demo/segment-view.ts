// The segment view of a partition: to clients one log, underneath a chain of segments, each a
// stretch of virtual offsets held by one cluster at a shift (virtual = real + shift). The
// chains come from Turnout (GET /v1/cutovers?domain=), or are rebuilt from the switch points of
// the cutovers that switched; before any cutover a partition is one segment on its domain's
// cluster at shift 0.
//
// Each chain is then held against the clusters themselves: the segments a cluster holds must
// be its whole log, back to back. Its first segment starts at its real offset 0 (the demo's
// topics are new on both clusters), each next one where the previous one ended (nothing was
// written there in between), and its last one ends at its real end offset (nothing landed on
// it after it was switched away from). Nothing is copied by a cutover, so that is all there is.
import type { SegmentJson } from '../admin/cutover-client.js';

/** One segment of a partition, with both its virtual and its real offsets (end exclusive). */
export interface SegmentRow {
  index: number;
  backend: string;
  /** Leader epoch generation of its records, when Turnout says. */
  generation: number | null;
  firstOffset: number;
  endOffset: number;
  shift: number;
  realFirst: number;
  realEnd: number;
  records: number;
}

export interface PartitionSegments {
  topic: string;
  partition: number;
  /** The partition's end as clients see it (its virtual high watermark). */
  virtualEnd: number;
  segments: SegmentRow[];
}

/** A segment whose generation may be unknown (the first one, when rebuilt from switch points). */
export type ChainSegment = Omit<SegmentJson, 'generation'> & { generation: number | null };

/** A partition's chain rebuilt from the segments the cutovers that switched appended, oldest first: its first segment on `firstBackend` at 0. */
export function chainFromSwitchPoints(firstBackend: string, appended: readonly ChainSegment[]): ChainSegment[] {
  return [{ backend: firstBackend, firstOffset: '0', shift: '0', generation: null }, ...appended];
}

/** The rows of a chain, up to the partition's virtual end. */
export function partitionSegments(
  topic: string,
  partition: number,
  chain: readonly ChainSegment[],
  virtualEnd: number,
): PartitionSegments {
  const segments = chain.map((s, i): SegmentRow => {
    const firstOffset = Number(s.firstOffset);
    const next = chain[i + 1];
    const endOffset = next === undefined ? Math.max(firstOffset, virtualEnd) : Number(next.firstOffset);
    const shift = Number(s.shift);
    return { index: i, backend: s.backend, generation: s.generation, firstOffset, endOffset, shift, realFirst: firstOffset - shift, realEnd: endOffset - shift, records: endOffset - firstOffset };
  });
  return { topic, partition, virtualEnd, segments };
}

/** A partition's log on one cluster: its log start and end offsets. */
export interface RealLog {
  start: number;
  end: number;
}

export interface StoredCheck {
  ok: boolean;
  /** The first few differences, spelled out. */
  problems: string[];
}

const MAX_PROBLEMS = 10;

/**
 * Whether every cluster holds exactly the segments the chains give it, back to back.
 * `logs`: backend → partition → its log on that cluster.
 */
export function checkStored(partitions: readonly PartitionSegments[], logs: ReadonlyMap<string, ReadonlyMap<number, RealLog>>): StoredCheck {
  const problems: string[] = [];
  const note = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  let differences = 0;
  for (const p of partitions) {
    const where = `${p.topic}-${p.partition}`;
    for (const [backend, byPartition] of logs) {
      const log = byPartition.get(p.partition) ?? { start: 0, end: 0 };
      const held = p.segments.filter((s) => s.backend === backend && s.records > 0);
      let expectedStart = log.start;
      for (const s of held) {
        if (s.realFirst !== expectedStart) {
          differences++;
          note(`${where} segment ${s.index} on ${backend} starts at real offset ${s.realFirst}, where ${backend}'s log has ${expectedStart}`);
        }
        expectedStart = s.realEnd;
      }
      if (expectedStart !== log.end) {
        differences++;
        note(`${where} on ${backend}: the log ends at ${log.end}, its segments at ${expectedStart}`);
      }
    }
  }
  return { ok: differences === 0, problems };
}
