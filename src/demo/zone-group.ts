// A kafkajs consumer group whose members sit in different zones, each bootstrapping from its
// zone's Turnout listener, all tapping what they receive into one tap for the delivery check.
// It counts as started once every member has joined and their assignments cover the topic's
// partitions exactly once; every join after that is a rebalance, which a cutover must not cause.
import kafkajs from 'kafkajs';
import type { Consumer } from 'kafkajs';
import { sleep, throwIfAborted } from './demo-abort.js';
import { newTap, tapBatches, type ConsumerTap } from './kafkajs-traffic.js';

const { Kafka, logLevel } = kafkajs;

export interface GroupMember {
  zone: string;
  /** The bootstrap address of the zone's Turnout listener. */
  bootstrap: string;
}

export interface ZoneGroupSpec {
  groupId: string;
  topic: string;
  partitions: number;
  members: readonly GroupMember[];
  /** Give up waiting for the topic and the first assignment after this long; default 60 s. */
  joinTimeoutMs?: number;
  signal?: AbortSignal;
}

export class GroupJoinTimeoutError extends Error {
  constructor(readonly groupId: string, readonly assignments: ReadonlyArray<number[] | null>, timeoutMs: number) {
    super(`group ${groupId} did not settle within ${timeoutMs} ms: member assignments ${JSON.stringify(assignments)}`);
    this.name = 'GroupJoinTimeoutError';
  }
}

export interface RunningGroup {
  readonly groupId: string;
  readonly topic: string;
  readonly zones: string[];
  readonly tap: ConsumerTap;
  /** Joins after the group first settled (each member's), so rebalances seen by any member. */
  rejoins(): number;
  /** Crashes kafkajs reported after the group settled (it restarts a crashed consumer), by member. */
  crashes(): string[];
  stop(): Promise<void>;
}

/** True when every member has an assignment and together they hold each partition once. */
export function assignmentsSettled(assignments: ReadonlyArray<readonly number[] | null>, partitions: number): boolean {
  const held = new Set<number>();
  let total = 0;
  for (const a of assignments) {
    if (a === null) return false;
    for (const p of a) held.add(p);
    total += a.length;
  }
  return total === partitions && held.size === partitions;
}

/** Metadata does not know the topic (yet), as kafkajs reports it, itself or after its own retries. */
function topicNotKnownYet(err: unknown): boolean {
  const typeOf = (e: unknown): unknown => (typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined);
  const type = typeOf(err) ?? typeOf((err as { cause?: unknown }).cause);
  return type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
}

/**
 * Subscribes once Metadata knows the topic: a topic just created is not known everywhere at
 * once, and kafkajs gives up on UNKNOWN_TOPIC_OR_PARTITION after a few retries of its own.
 */
async function subscribeWhenKnown(consumer: Consumer, topic: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      return;
    } catch (err) {
      if (!topicNotKnownYet(err) || Date.now() > deadline) throw err;
    }
    throwIfAborted(signal);
    await sleep(250);
  }
}

/** Starts every member and resolves once the group has settled. */
export async function startZoneGroup(spec: ZoneGroupSpec): Promise<RunningGroup> {
  const tap = newTap();
  const assignments: Array<number[] | null> = spec.members.map(() => null);
  const crashes: string[] = [];
  let settled = false;
  let rejoins = 0;
  const consumers: Consumer[] = spec.members.map((m, i) => {
    const consumer = new Kafka({ clientId: `${spec.groupId}-${m.zone}`, brokers: [m.bootstrap], logLevel: logLevel.NOTHING }).consumer({
      groupId: spec.groupId,
      maxWaitTimeInMs: 100,
      // Heartbeats are how a member learns of a rebalance: often, so that the group settles fast.
      heartbeatInterval: 500,
      sessionTimeout: 10_000,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (settled) rejoins++;
      assignments[i] = e.payload.memberAssignment[spec.topic] ?? [];
    });
    // Before the group settles nothing has been produced yet: a crash there (a coordinator still
    // loading, say) is recovered by kafkajs's restart and costs nothing.
    consumer.on(consumer.events.CRASH, (e) => {
      if (settled) crashes.push(`${m.zone}: ${e.payload.error.message}`);
    });
    return consumer;
  });
  const stop = async (): Promise<void> => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
  };
  const timeoutMs = spec.joinTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  try {
    await Promise.all(
      consumers.map(async (c) => {
        await c.connect();
        await subscribeWhenKnown(c, spec.topic, deadline, spec.signal);
        await c.run({ eachBatch: tapBatches(tap) });
      }),
    );
    while (!assignmentsSettled(assignments, spec.partitions)) {
      throwIfAborted(spec.signal);
      if (Date.now() > deadline) throw new GroupJoinTimeoutError(spec.groupId, assignments, timeoutMs);
      await sleep(20);
    }
    settled = true;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    groupId: spec.groupId,
    topic: spec.topic,
    zones: spec.members.map((m) => m.zone),
    tap,
    rejoins: () => rejoins,
    crashes: () => [...crashes],
    stop,
  };
}
