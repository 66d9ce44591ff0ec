// The drain's wait for the domain's open transactions on the source: a partition has none when
// its last stable offset has reached its high watermark. Transactions get `drainTimeoutMs` to
// end by themselves (their producers' EndTxn may still reach the source while the hold drains);
// those still open then are aborted on the source (InitProducerId for their transactional id),
// and the drain waits for the markers until `deadlineMs`.
import { partitionKey, type CutoverBackends, type TopicLayouts } from './cutover-backends.js';

export class DrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrainError';
  }
}

export interface DrainInput {
  backends: CutoverBackends;
  backend: string;
  layouts: TopicLayouts;
  drainTimeoutMs: number;
  /** When the drain gives up (the hold's deadline), ms since the epoch. */
  deadlineMs: number;
  /** Throws to stop (the cutover was rolled back meanwhile). */
  check: () => void;
  pollMs?: number;
}

export interface DrainResult {
  /** Transactional ids whose transaction was aborted on the source. */
  aborted: string[];
}

/** Partitions whose last stable offset is below their high watermark: a transaction is open there. */
export async function partitionsWithOpenTransactions(backends: CutoverBackends, backend: string, layouts: TopicLayouts): Promise<string[]> {
  if (layouts.size === 0) return [];
  const [stable, high] = await Promise.all([backends.endOffsets(backend, layouts, 'last-stable'), backends.endOffsets(backend, layouts, 'high-watermark')]);
  const open: string[] = [];
  for (const [topic, partitions] of layouts) {
    for (const p of partitions) {
      const key = partitionKey(topic, p.index);
      if ((stable.get(key) ?? 0n) < (high.get(key) ?? 0n)) open.push(`${topic}-${p.index}`);
    }
  }
  return open;
}

/**
 * Waits until no partition has an open transaction, up to `deadlineMs`: a transaction that
 * ended just before the hold was complete has its markers written after its EndTxn was
 * answered. Throws DrainError naming the partitions still open then.
 */
export async function awaitStableEnds(backends: CutoverBackends, backend: string, layouts: TopicLayouts, deadlineMs: number, check: () => void, pollMs = 25): Promise<void> {
  for (;;) {
    check();
    const open = await partitionsWithOpenTransactions(backends, backend, layouts);
    if (open.length === 0) return;
    if (Date.now() >= deadlineMs) throw new DrainError(`a transaction is open on ${backend} (${open.slice(0, 5).join(', ')}) after the drain: something writes to it bypassing Turnout`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function drainTransactions(input: DrainInput): Promise<DrainResult> {
  const { backends, backend, layouts } = input;
  const pollMs = input.pollMs ?? 50;
  const ownDeadline = Math.min(Date.now() + input.drainTimeoutMs, input.deadlineMs);
  const wait = async (until: number): Promise<string[]> => {
    for (;;) {
      input.check();
      const open = await partitionsWithOpenTransactions(backends, backend, layouts);
      if (open.length === 0 || Date.now() >= until) return open;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  if ((await wait(ownDeadline)).length === 0) return { aborted: [] };
  const ids = await backends.openTransactions(backend, new Set(layouts.keys()));
  for (const id of ids) {
    input.check();
    await backends.abortTransaction(backend, id);
  }
  const still = await wait(input.deadlineMs);
  if (still.length > 0) throw new DrainError(`transactions still open on ${backend} (${still.slice(0, 5).join(', ')}) after aborting ${ids.length === 0 ? 'none found' : ids.join(', ')}`);
  return { aborted: ids };
}
