// Records and domain states for the cutover tests.
import { newCutoverRecord, type CutoverRecord, type SwitchPoint } from '../../../src/policy/cutover-record.js';

let next = 1;

export function plannedCutover(domain = 'orders', from = 'legacy', to = 'main', atMs = 1_000): CutoverRecord {
  return newCutoverRecord({ id: `c-${next++}`, domain, from, to, drainTimeoutMs: 5_000, coordinator: 'instance-a', atMs });
}

/** A switch point: the source ended at `sourceEnd`, the target at `targetEnd`, virtual offset `first`. */
export function point(topic: string, partition: number, first: bigint, targetEnd: bigint, sourceEnd = first): SwitchPoint {
  return {
    topic,
    partition,
    firstOffset: first.toString(),
    sourceEnd: sourceEnd.toString(),
    targetEnd: targetEnd.toString(),
    shift: (first - targetEnd).toString(),
  };
}
