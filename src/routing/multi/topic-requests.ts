// Topic requests any broker of a backend answers (its controller does the work): each topic
// goes to the backend of its domain, topics of several backends are split and the answers
// merged in the client's order. A topic no domain claims gets the policy's error; one whose
// backend did not answer, LEADER_NOT_AVAILABLE (retriable).
import {
  ApiKey,
  ZERO_UUID,
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreateTopicsResponse,
} from '../../codec/index.js';
import { createCreatableTopicResult } from '../../codec/generated/create-topics.js';
import {
  createDeletableTopicResult,
  createDeleteTopicState,
  decodeDeleteTopicsRequest,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeleteTopicsResponse,
} from '../../codec/generated/delete-topics.js';
import {
  createCreatePartitionsTopicResult,
  decodeCreatePartitionsRequest,
  decodeCreatePartitionsResponse,
  encodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
  type CreatePartitionsTopicResult,
} from '../../codec/generated/create-partitions.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID } from '../error-codes.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import type { DestinationFailure, RouteError } from '../split-route.js';
import { INVALID_REPLICA_ASSIGNMENT } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { scatterGather, ThrottleTime } from './scatter-gather.js';

/** The error a topic-level item is answered with when its backend failed or did not answer it: always retriable. */
export function backendUnanswered(failure: DestinationFailure | null): RouteError {
  if (failure === null || failure.errorCode === NOT_LEADER_OR_FOLLOWER) return { errorCode: LEADER_NOT_AVAILABLE };
  return { errorCode: failure.errorCode };
}

export async function createTopics(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeCreateTopicsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  type Result = CreateTopicsResponse['topics'][number];
  const refused = (name: string, err: RouteError): Result => {
    const result = createCreatableTopicResult();
    result.name = name;
    result.errorCode = err.errorCode;
    if (v >= 1 && err.errorMessage !== undefined) result.errorMessage = err.errorMessage;
    return result;
  };
  const topics = await scatterGather({
    items: body.topics,
    keyOf: (t) => t.name,
    route: (t) => {
      const backend = ctx.backendOfTopic(t.name, policy);
      return typeof backend === 'string' ? backend : refused(t.name, backend);
    },
    send: async (backend, part) => {
      const frame = encodeRequestFrame(header, { ...body, topics: part }, encodeCreateTopicsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.anyBrokerOf(backend), frame), ApiKey.CreateTopics, v, decodeCreateTopicsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.topics.map((t): [string, Result] => {
        if (t.topicId !== ZERO_UUID && t.errorCode === 0) t.topicId = ctx.topicIds.observeServing(backend, t.name, t.topicId).virtualId;
        if (t.errorCode === 0 && !body.validateOnly) ctx.createdTopics.created(t.name);
        return [t.name, t];
      });
    },
    unanswered: (t, failure) => refused(t.name, backendUnanswered(failure)),
  });
  return encodeResponseFrame(ApiKey.CreateTopics, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, topics }, encodeCreateTopicsResponse);
}

export async function deleteTopics(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDeleteTopicsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  type Result = DeleteTopicsResponse['responses'][number];
  // v6+ names topics (by name or by virtual id) in `topics`, earlier versions in `topicNames`.
  const asked: Array<{ name: string | null; topicId: string }> =
    v >= 6 ? body.topics.map((t) => ({ name: t.name ?? ctx.topicIds.nameOf(t.topicId) ?? null, topicId: t.topicId })) : body.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const refused = (t: { name: string | null; topicId: string }, errorCode: number): Result => {
    const result = createDeletableTopicResult();
    result.name = t.name;
    if (v >= 6) result.topicId = t.topicId;
    result.errorCode = errorCode;
    return result;
  };
  const responses = await scatterGather({
    items: asked,
    keyOf: (t) => t.name ?? '',
    route: (t) => {
      if (t.name === null) return refused(t, UNKNOWN_TOPIC_ID);
      const backend = ctx.backendOfTopic(t.name, policy);
      return typeof backend === 'string' ? backend : refused(t, backend.errorCode);
    },
    send: async (backend, part) => {
      const names = part.map((t) => t.name as string);
      const req = { ...body, topicNames: v >= 6 ? [] : names, topics: v >= 6 ? names.map((name) => ({ ...createDeleteTopicState(), name })) : [] };
      const frame = encodeRequestFrame(header, req, encodeDeleteTopicsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.anyBrokerOf(backend), frame), ApiKey.DeleteTopics, v, decodeDeleteTopicsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      const out: Array<[string, Result]> = [];
      for (const r of answer.responses) {
        if (r.name === null) continue;
        r.topicId = v >= 6 ? (ctx.topicIds.virtualIdOf(r.name) ?? ZERO_UUID) : r.topicId;
        if (r.errorCode === 0) {
          ctx.topicIds.forget(r.name);
          ctx.createdTopics.deleted(r.name);
        }
        out.push([r.name, r]);
      }
      return out;
    },
    unanswered: (t, failure) => refused(t, backendUnanswered(failure).errorCode),
  });
  return encodeResponseFrame(ApiKey.DeleteTopics, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, responses }, encodeDeleteTopicsResponse);
}

/**
 * CreatePartitions, per backend of each topic's domain. A manual assignment is refused
 * (INVALID_REPLICA_ASSIGNMENT): it names Turnout's nodes, which are no backend's brokers.
 */
export async function createPartitions(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeCreatePartitionsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const refused = (name: string, err: RouteError): CreatePartitionsTopicResult => ({
    ...createCreatePartitionsTopicResult(),
    name,
    errorCode: err.errorCode,
    errorMessage: err.errorMessage ?? null,
  });
  const results = await scatterGather({
    items: body.topics,
    keyOf: (t) => t.name,
    route: (t) => {
      if (t.assignments !== null) {
        return refused(t.name, { errorCode: INVALID_REPLICA_ASSIGNMENT, errorMessage: 'replica assignments name backend brokers, which are not offered over several backends' });
      }
      const backend = ctx.backendOfTopic(t.name, policy);
      return typeof backend === 'string' ? backend : refused(t.name, backend);
    },
    send: async (backend, topics) => {
      const frame = encodeRequestFrame(header, { ...body, topics }, encodeCreatePartitionsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.anyBrokerOf(backend), frame), ApiKey.CreatePartitions, v, decodeCreatePartitionsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.results.map((r): [string, CreatePartitionsTopicResult] => [r.name, r]);
    },
    unanswered: (t, failure) => refused(t.name, backendUnanswered(failure)),
  });
  return encodeResponseFrame(ApiKey.CreatePartitions, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, results }, encodeCreatePartitionsResponse);
}
