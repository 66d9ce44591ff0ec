// Scatter/gather for requests that several destinations answer in parts: each item of the
// client's request (a topic-partition, a topic, a config resource, ...) is routed to a
// destination or answered on the spot, each destination gets one request with its items, the
// parts are sent concurrently, and the answers come back in the client's order. An item whose
// destination failed as a whole, or answered without it, is answered with an error of the
// caller's choice, so one destination's failure never fails the others' items.
import { DestinationFailure } from '../split-route.js';
import { failureOf } from './destinations.js';

export interface ScatterSpec<I, R extends object> {
  items: readonly I[];
  /** The destination key of an item, or the result it is answered with without being sent. */
  route: (item: I, index: number) => string | R;
  /** Sends one destination's items (in the client's order); resolves with their results by `keyOf`. A rejection fails every item of the part. */
  send: (destination: string, items: I[]) => Promise<Iterable<readonly [string, R]>>;
  keyOf: (item: I) => string;
  /** The result of an item whose destination failed (`failure`), or answered without it (null). */
  unanswered: (item: I, failure: DestinationFailure | null) => R;
}

export async function scatterGather<I, R extends object>(spec: ScatterSpec<I, R>): Promise<R[]> {
  const placed: Array<string | R> = spec.items.map((item, i) => spec.route(item, i));
  const parts = new Map<string, I[]>();
  placed.forEach((where, i) => {
    if (typeof where !== 'string') return;
    let part = parts.get(where);
    if (part === undefined) parts.set(where, (part = []));
    part.push(spec.items[i]);
  });
  const answers = new Map<string, Map<string, R> | DestinationFailure>();
  await Promise.all(
    [...parts].map(async ([destination, items]) => {
      try {
        answers.set(destination, new Map(await spec.send(destination, items)));
      } catch (err) {
        answers.set(destination, failureOf(err));
      }
    }),
  );
  return placed.map((where, i) => {
    if (typeof where !== 'string') return where;
    const item = spec.items[i];
    const answer = answers.get(where);
    if (answer instanceof DestinationFailure) return spec.unanswered(item, answer);
    return answer?.get(spec.keyOf(item)) ?? spec.unanswered(item, null);
  });
}

/** One topic of a destination's part, with the partitions of it that go there. */
export interface TopicPart<T, P> {
  topic: T;
  partitions: P[];
}

/** One partition's result in a destination's answer. */
export interface PartitionResult<R> {
  topic: string;
  partition: number;
  result: R;
}

export interface PartitionScatterSpec<T, P, R extends object> {
  topics: readonly T[];
  partitionsOf: (topic: T) => readonly P[];
  topicName: (topic: T) => string;
  partitionIndex: (partition: P) => number;
  /** The destination of a partition (`backend/brokerId`), or the result it is answered with. */
  route: (topic: T, partition: P) => string | R;
  /** Sends one destination's topics and partitions (in the client's order); resolves with the partitions' results. */
  send: (destination: string, topics: Array<TopicPart<T, P>>) => Promise<Iterable<PartitionResult<R>>>;
  unanswered: (topic: T, partition: P, failure: DestinationFailure | null) => R;
}

interface PartitionItem<T, P> {
  topicIndex: number;
  topic: T;
  partition: P;
}

/**
 * Scatter/gather of a request by topic-partition: the result per client topic and partition,
 * in the client's order.
 */
export async function scatterPartitions<T, P, R extends object>(spec: PartitionScatterSpec<T, P, R>): Promise<R[][]> {
  const items: Array<PartitionItem<T, P>> = [];
  spec.topics.forEach((topic, topicIndex) => {
    for (const partition of spec.partitionsOf(topic)) items.push({ topicIndex, topic, partition });
  });
  const key = (topic: string, partition: number): string => `${partition}:${topic}`;
  const results = await scatterGather<PartitionItem<T, P>, R>({
    items,
    route: (item) => spec.route(item.topic, item.partition),
    keyOf: (item) => key(spec.topicName(item.topic), spec.partitionIndex(item.partition)),
    unanswered: (item, failure) => spec.unanswered(item.topic, item.partition, failure),
    send: async (destination, part) => {
      const topics: Array<TopicPart<T, P>> = [];
      let lastTopicIndex = -1;
      for (const item of part) {
        if (item.topicIndex !== lastTopicIndex) topics.push({ topic: item.topic, partitions: [] });
        lastTopicIndex = item.topicIndex;
        topics[topics.length - 1].partitions.push(item.partition);
      }
      const answered: Array<[string, R]> = [];
      for (const r of await spec.send(destination, topics)) answered.push([key(r.topic, r.partition), r.result]);
      return answered;
    },
  });
  const out: R[][] = spec.topics.map(() => []);
  items.forEach((item, i) => out[item.topicIndex].push(results[i]));
  return out;
}

/**
 * The partitions of a destination's answer as results, each passed through `visit` first
 * (translation to the client's terms, noting errors).
 */
export function answeredPartitions<T, P extends object>(
  topics: readonly T[],
  topicName: (t: T) => string,
  partitionsOf: (t: T) => readonly P[],
  partitionIndex: (p: P) => number,
  visit: (topic: string, p: P) => void,
): Array<PartitionResult<P>> {
  const out: Array<PartitionResult<P>> = [];
  for (const t of topics) {
    const topic = topicName(t);
    for (const p of partitionsOf(t)) {
      visit(topic, p);
      out.push({ topic, partition: partitionIndex(p), result: p });
    }
  }
  return out;
}

/** The throttle time of a merged answer: the longest any part asked for. */
export class ThrottleTime {
  ms = 0;

  observe(throttleTimeMs: number): void {
    if (throttleTimeMs > this.ms) this.ms = throttleTimeMs;
  }
}
