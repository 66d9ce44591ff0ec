// The switch points of a cutover: where each partition's new segment begins.
//
// On the source, E is the partition's log end offset (ListOffsets with the debugging replica
// id), taken only when it equals the high watermark (everything written is replicated: nothing
// acknowledged later can appear below E) and unchanged over two reads `intervalMs` apart. The
// domain's produce is held everywhere by then, so a partition that still moves is written by
// someone bypassing Turnout: the cutover is rolled back rather than leave those records out of
// the virtual log, or worse, read a record twice. The target's end offsets are read the same way.
//
// A direct writer that stopped before those reads is caught by the hold's baseline: each
// partition's log end offset once every instance held the domain and had its earlier requests
// answered. A partition without a transaction open then may not have grown by the switch (only
// transaction markers, of the transactions the drain let end or aborted, may be added after).
//
// The new segment begins at E in virtual terms (E plus the shift of the partition's current
// segment, which is on the source) with shift E_virtual − the target's end offset.
import { partitionKey, type CutoverBackends, type TopicLayouts } from './cutover-backends.js';
import type { DomainCutoverState } from './cutover-domain-state.js';
import type { SwitchPoint } from './cutover-record.js';

export class SwitchPointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SwitchPointError';
  }
}

/** Where the partitions ended when the hold had taken effect everywhere. */
export interface HoldBaseline {
  /** Log end offsets by partitionKey. */
  ends: Map<string, bigint>;
  /** Partitions with a transaction open then: they may still get its marker. */
  transactional: Set<string>;
}

export async function readHoldBaseline(backends: CutoverBackends, backend: string, layouts: TopicLayouts): Promise<HoldBaseline> {
  const [ends, high, stable] = await Promise.all([
    backends.endOffsets(backend, layouts, 'log-end'),
    backends.endOffsets(backend, layouts, 'high-watermark'),
    backends.endOffsets(backend, layouts, 'last-stable'),
  ]);
  const transactional = new Set<string>();
  for (const [key, h] of high) if ((stable.get(key) ?? h) < h) transactional.add(key);
  return { ends, transactional };
}

export interface SwitchPointInput {
  backends: CutoverBackends;
  from: string;
  to: string;
  source: TopicLayouts;
  target: TopicLayouts;
  previous: DomainCutoverState | undefined;
  /** The source's ends when the hold took effect; a partition grown since without a transaction is written by someone else. */
  baseline?: HoldBaseline;
  intervalMs: number;
  /** Reads of the log end offset against the high watermark before giving up on them agreeing. (default: 10) */
  settleAttempts?: number;
}

/** Where the partitions end when the log end offset has caught up with the high watermark. */
async function settledEnds(backends: CutoverBackends, backend: string, layouts: TopicLayouts, attempts: number): Promise<Map<string, bigint>> {
  let lagging = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const [end, high] = await Promise.all([backends.endOffsets(backend, layouts, 'log-end'), backends.endOffsets(backend, layouts, 'high-watermark')]);
    lagging = '';
    for (const [key, e] of end) {
      const h = high.get(key);
      if (h !== e) {
        lagging = `${key.replace(/\/(\d+)$/, '-$1')} on ${backend}: log end offset ${e}, high watermark ${h}`;
        break;
      }
    }
    if (lagging === '') return end;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new SwitchPointError(`the log end offset stays above the high watermark (${lagging}): a write is not replicated`);
}

function moved(before: Map<string, bigint>, after: Map<string, bigint>, backend: string): string | null {
  for (const [key, e] of before) {
    const now = after.get(key);
    if (now !== e) return `${key.replace(/\/(\d+)$/, '-$1')} on ${backend} moved from ${e} to ${now} while the domain was held: something writes to it bypassing Turnout`;
  }
  return null;
}

export async function takeSwitchPoints(input: SwitchPointInput): Promise<SwitchPoint[]> {
  const { backends, from, to, source, target } = input;
  const attempts = input.settleAttempts ?? 10;
  const [s1, t1] = await Promise.all([settledEnds(backends, from, source, attempts), settledEnds(backends, to, target, attempts)]);
  if (input.intervalMs > 0) await new Promise((r) => setTimeout(r, input.intervalMs));
  const [s2, t2] = await Promise.all([backends.endOffsets(from, source, 'log-end'), backends.endOffsets(to, target, 'log-end')]);
  const movement = moved(s1, s2, from) ?? moved(t1, t2, to);
  if (movement !== null) throw new SwitchPointError(movement);
  if (input.baseline !== undefined) {
    for (const [key, before] of input.baseline.ends) {
      const now = s1.get(key);
      if (now === undefined || now === before || input.baseline.transactional.has(key)) continue;
      throw new SwitchPointError(`${key.replace(/\/(\d+)$/, '-$1')} on ${from} grew from ${before} to ${now} while the domain was held: something writes to it bypassing Turnout`);
    }
  }

  const points: SwitchPoint[] = [];
  for (const [topic, partitions] of source) {
    for (const p of partitions) {
      const key = partitionKey(topic, p.index);
      const sourceEnd = s1.get(key) as bigint;
      const targetEnd = t1.get(key);
      if (targetEnd === undefined) throw new SwitchPointError(`${topic}-${p.index} has no partition on ${to}`);
      const current = input.previous?.chains.get(topic)?.[p.index]?.last;
      if (current !== undefined && current.backend !== from) throw new SwitchPointError(`${topic}-${p.index} is read from ${current.backend}, not ${from}: the domain state disagrees with the cutover`);
      const firstOffset = sourceEnd + (current?.shift ?? 0n);
      if (current !== undefined && firstOffset < current.firstOffset) throw new SwitchPointError(`${topic}-${p.index} ends at ${firstOffset} on ${from}, before its segment begins (${current.firstOffset}): its log was truncated`);
      points.push({ topic, partition: p.index, firstOffset: firstOffset.toString(), sourceEnd: sourceEnd.toString(), targetEnd: targetEnd.toString(), shift: (firstOffset - targetEnd).toString() });
    }
  }
  return points;
}
