// DescribeTopicPartitions over several backends: each backend is asked for the topics of its
// domains (all of its topics when the client asks for all), from the client's cursor; the
// answers are put in the client's terms (virtual topic ids, leader epochs, Turnout nodes as
// leaders and replicas, no eligible-leader lists of real broker ids) and merged into one page
// with its next cursor (topic-partitions-merge.ts).
import { ApiKey, ZERO_UUID } from '../../codec/index.js';
import {
  createDescribeTopicPartitionsResponseTopic,
  decodeDescribeTopicPartitionsRequest,
  decodeDescribeTopicPartitionsResponse,
  encodeDescribeTopicPartitionsRequest,
  encodeDescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponseTopic,
} from '../../codec/generated/describe-topic-partitions.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { LEADER_NOT_AVAILABLE } from '../error-codes.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { placePartition } from './metadata.js';
import type { MultiContext } from './multi-context.js';
import type { ServedNodes } from '../zone-nodes.js';
import { ThrottleTime } from './scatter-gather.js';
import { mergeTopicPartitionPages, type TopicPartitionsPage } from './topic-partitions-merge.js';

function errorTopic(name: string, errorCode: number): DescribeTopicPartitionsResponseTopic {
  return { ...createDescribeTopicPartitionsResponseTopic(), name, errorCode };
}

/** One backend topic in the client's terms, in place. */
function topicToVirtual(ctx: MultiContext, session: ClientSession, served: ServedNodes, backend: string, t: DescribeTopicPartitionsResponseTopic): void {
  const name = t.name as string;
  if (t.topicId !== ZERO_UUID) {
    const obs = ctx.topicIds.observeServing(backend, name, t.topicId);
    if (obs.change === 'recreated') ctx.epochs.beginTopicGeneration(name, backend);
    t.topicId = obs.virtualId;
  }
  for (const p of t.partitions) {
    const realEpoch = p.leaderEpoch;
    p.leaderEpoch = ctx.epochs.observeServing(name, p.partitionIndex, backend, realEpoch);
    placePartition(ctx, session, served, backend, name, p, Date.now(), realEpoch);
    // Eligible leader replicas are real broker ids: Turnout's nodes have no such thing to show.
    if (p.eligibleLeaderReplicas !== null) p.eligibleLeaderReplicas = [];
    if (p.lastKnownElr !== null) p.lastKnownElr = [];
  }
}

export async function describeTopicPartitions(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeTopicPartitionsRequest);
  const policy = ctx.policy();
  const all = body.topics.length === 0;
  const cursor = body.cursor;
  const local: DescribeTopicPartitionsResponseTopic[] = [];
  const asked = new Map<string, DescribeTopicPartitionsRequest>();
  for (const backend of ctx.topologies.keys()) {
    if (all) asked.set(backend, { ...body, topics: [] });
  }
  if (!all) {
    const seen = new Set<string>();
    for (const t of body.topics) {
      if (seen.has(t.name) || (cursor !== null && t.name < cursor.topicName)) continue;
      seen.add(t.name);
      const backend = ctx.backendOfTopic(t.name, policy);
      if (typeof backend !== 'string') {
        local.push(errorTopic(t.name, backend.errorCode));
        continue;
      }
      let req = asked.get(backend);
      if (req === undefined) asked.set(backend, (req = { ...body, topics: [], cursor: null }));
      req.topics.push(t);
      // A broker wants the cursor's topic among those asked: only its backend gets the cursor.
      if (cursor !== null && t.name === cursor.topicName) req.cursor = cursor;
    }
  }
  const throttle = new ThrottleTime();
  const pages = await Promise.all(
    [...asked].map(async ([backend, req]): Promise<TopicPartitionsPage> => {
      try {
        const frame = encodeRequestFrame(header, req, encodeDescribeTopicPartitionsRequest);
        const res = await ctx.send(session, ctx.anyBrokerOf(backend), frame);
        const answer = decodeResponseFrame(res, ApiKey.DescribeTopicPartitions, v, decodeDescribeTopicPartitionsResponse).body;
        throttle.observe(answer.throttleTimeMs);
        const topics = answer.topics.filter((t) => t.name !== null && ctx.backendOfTopic(t.name, policy) === backend);
        for (const t of topics) topicToVirtual(ctx, session, ctx.served(session), backend, t);
        return { topics, nextCursor: answer.nextCursor };
      } catch (err) {
        ctx.log.warn({ err, backend }, 'topic partitions of a backend not available');
        const names = all ? ctx.lastKnownTopics.namesResolvingTo(backend, (name) => ctx.backendOfTopic(name, policy)) : req.topics.map((t) => t.name);
        return { topics: names.filter((n) => cursor === null || n >= cursor.topicName).map((n) => errorTopic(n, LEADER_NOT_AVAILABLE)), nextCursor: null };
      }
    }),
  );
  pages.push({ topics: local, nextCursor: null });
  const merged = mergeTopicPartitionPages(pages, body.responsePartitionLimit);
  return encodeResponseFrame(ApiKey.DescribeTopicPartitions, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, ...merged }, encodeDescribeTopicPartitionsResponse);
}
