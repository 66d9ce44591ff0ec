// The `cutover` section of the configuration: how long a cutover may wait for each thing, and
// how much this instance may hold meanwhile. Every field is documented in
// config/multi-backend.example.yaml.
import { z } from 'zod';

const MiB = 1024 * 1024;

export const cutoverSchema = z
  .object({
    /** Open transactions of the domain on the source get this long to end before they are aborted there. */
    drainTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
    /** Every live instance confirms each phase within this, or the cutover is rolled back. */
    phaseDeadlineMs: z.number().int().min(100).max(600_000).default(10_000),
    /** A hold not switched within this is rolled back (keep it below the clients' request.timeout.ms). */
    maxHoldMs: z.number().int().min(100).max(600_000).default(15_000),
    /** Bytes of requests one instance may hold during a cutover; more rolls it back. */
    maxHeldBytes: z.number().int().min(1024).max(2 ** 40).default(64 * MiB),
    /** With the Redis store: an instance counts as alive this long after renewing its lease. */
    leaseMs: z.number().int().min(1_000).max(600_000).default(10_000),
    /** Time between the two reads of the source's end offsets that must agree for a switch point. */
    switchPointIntervalMs: z.number().int().min(0).max(10_000).default(50),
    /** Preflight measures the domain's produce rate over this long. */
    rateSampleMs: z.number().int().min(0).max(60_000).default(1_000),
  })
  .strict();

export const cutoverField = cutoverSchema.default(cutoverSchema.parse({}));

export type CutoverConfig = z.output<typeof cutoverSchema>;
