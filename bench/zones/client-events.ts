// What a zone client process (zone-client.ts) tells the runner: one JSON object per stdout
// line. Both sides use these types; the runner validates every line it reads.
import { z } from 'zod';

export const clientEventSchema = z.discriminatedUnion('event', [
  /** A consumer joined its group and got these partitions (again after every rebalance). */
  z.object({ event: z.literal('assigned'), partitions: z.array(z.number().int()) }),
  z.object({ event: z.literal('progress'), records: z.number().int() }),
  z.object({ event: z.literal('produced'), records: z.number().int(), valueBytes: z.number().int(), elapsedMs: z.number() }),
  z.object({
    event: z.literal('consumed'),
    records: z.number().int(),
    valueBytes: z.number().int(),
    duplicates: z.number().int(),
    unexpected: z.number().int(),
    bitmaps: z.array(z.string()),
    /** Milliseconds from produce timestamp to consumption → records (latency-histogram.ts). */
    latencyMs: z.record(z.string(), z.number().int()),
    /** Partition → runs of consecutive offsets read (partition-order.ts). */
    offsetRuns: z.record(z.string(), z.array(z.tuple([z.number().int(), z.number().int()]))),
    offsetRegressions: z.number().int(),
    readBreaks: z.number().int(),
    sequenceRegressions: z.number().int(),
    /** Reads of one partition between two joins, with the last commit acknowledged in each (resume-check.ts). */
    tenures: z.array(
      z.object({
        partition: z.number().int(),
        join: z.number().int(),
        startedAtMs: z.number(),
        from: z.number().int(),
        to: z.number().int(),
        committed: z.number().int().nullable(),
      }),
    ),
    /** Group joins after the first assignment (rebalances this member took part in). */
    rejoins: z.number().int(),
    /** Times kafkajs was told the group was rebalancing or its coordinator had moved, and rejoined. */
    rebalancing: z.number().int(),
    /** Offset commits the coordinator acknowledged. */
    commits: z.number().int(),
    /** Crashes after the first assignment that kafkajs restarted the consumer from. */
    restarts: z.number().int(),
  }),
  z.object({ event: z.literal('error'), message: z.string() }),
]);

export type ClientEvent = z.infer<typeof clientEventSchema>;

export function parseClientEvent(line: string): ClientEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = clientEventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export function emit(event: ClientEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}
