// Records that carry their own place, for tests that read large topics and must see every
// record exactly once and in order: `p<partition>-<seq>-<padding>`, about 1 KiB each, so that
// Fetch answers run to hundreds of KiB and stream through Turnout.
import { expect } from 'vitest';
import { kcat, type ClusterInfo } from './rig.js';

const PADDING = 'x'.repeat(1000);

/** Produces records `p<partition>-<seq>-<padding>` for seq in [from, to) straight to a cluster. */
export async function produceSequence(cluster: ClusterInfo, topic: string, partition: number, from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let seq = from; seq < to; seq++) lines.push(`p${partition}-${String(seq).padStart(6, '0')}-${PADDING}`);
  const result = await kcat(['-P', '-b', cluster.bootstrapServers, '-t', topic, '-p', String(partition), '-X', 'linger.ms=20'], {
    input: `${lines.join('\n')}\n`,
    timeoutMs: 120_000,
  });
  if (result.code !== 0 || result.timedOut) throw new Error(`kcat could not produce to ${topic}/${partition}: ${result.stderr.slice(-2_000)}`);
}

/** Checks that each partition's values run p<n>-000000 upwards without a gap or a repeat. */
export function expectExactlyOnceInOrder(values: readonly string[], perPartition: number, partitions: number, who: string): void {
  const seen = new Map<number, number[]>();
  for (const v of values) {
    const m = /^p(\d+)-(\d{6})-x+$/.exec(v);
    expect(m, `${who} read a value it should not have: ${v.slice(0, 40)}`).not.toBeNull();
    const [partition, seq] = [Number(m?.[1]), Number(m?.[2])];
    let list = seen.get(partition);
    if (list === undefined) seen.set(partition, (list = []));
    list.push(seq);
  }
  expect([...seen.keys()].sort(), `${who} partitions`).toEqual(Array.from({ length: partitions }, (_, i) => i));
  for (const [partition, seqs] of seen) {
    const firstWrong = seqs.findIndex((s, i) => s !== i);
    expect(firstWrong, `${who} partition ${partition}: first record out of sequence`).toBe(-1);
    expect(seqs.length, `${who} partition ${partition}: records`).toBe(perPartition);
  }
}
