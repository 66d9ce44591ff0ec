// Metadata over several backends: every backend is asked (at v12 or its highest below, for real
// topic ids and leader epochs), the answers merged into Turnout's virtual cluster, and each
// partition placed on a Turnout node (its real leader remembered for the requests to come).
import { ApiKey, ZERO_UUID, createMetadataRequest, decodeMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse, type MetadataResponse } from '../../codec/index.js';
import type { MetadataRequestTopic, MetadataResponsePartition, MetadataResponseTopic } from '../../codec/generated/metadata.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../message-frames.js';
import { mergeMetadataResponses } from '../metadata-merge.js';
import { LEADER_NOT_AVAILABLE } from '../error-codes.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './multi-codes.js';
import { DestinationFailure } from '../split-route.js';
import { failureOf } from './destinations.js';
import type { MultiContext } from './multi-context.js';

/** Backends are asked Metadata at this version (real topic ids and leader epochs) or their highest below it. */
const BACKEND_METADATA_VERSION = 12;

/** Places a backend partition on Turnout's nodes, in place, and remembers its real leader. */
export function placePartition(ctx: MultiContext, backend: string, topic: string, p: MetadataResponsePartition): void {
  ctx.leaders.record(backend, topic, p.partitionIndex, p.leaderId);
  const n = ctx.nodeCount;
  const leader = ctx.virtualLeaderOf(topic, p.partitionIndex);
  const replicas = Math.max(1, Math.min(p.replicaNodes.length, n));
  const isr = Math.min(p.isrNodes.length, replicas);
  p.replicaNodes = Array.from({ length: replicas }, (_, i) => (leader + i) % n);
  p.isrNodes = p.replicaNodes.slice(0, isr);
  p.offlineReplicas = [];
  if (p.leaderId >= 0) p.leaderId = leader;
}

export async function metadata(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeMetadataRequest);
  const policy = ctx.policy();
  const all = body.topics === null || (v === 0 && body.topics.length === 0);
  const asked = new Map<string, MetadataRequestTopic[]>();
  for (const b of ctx.topologies.keys()) asked.set(b, []);
  if (!all) {
    for (const t of body.topics as MetadataRequestTopic[]) {
      const name = t.name ?? ctx.topicIds.nameOf(t.topicId);
      if (name === undefined) continue;
      const backend = ctx.backendOfTopic(name, policy);
      if (typeof backend === 'string') asked.get(backend)?.push({ topicId: ZERO_UUID, name });
    }
  }
  const answers = await Promise.all(
    [...ctx.topologies.values()].map(async (t): Promise<MetadataResponse | DestinationFailure> => {
      try {
        const range = t.apiVersions.range(ApiKey.Metadata);
        const bv = Math.min(BACKEND_METADATA_VERSION, range?.maxVersion ?? BACKEND_METADATA_VERSION);
        const req = createMetadataRequest();
        req.topics = all ? null : (asked.get(t.backend) as MetadataRequestTopic[]);
        req.allowAutoTopicCreation = v >= 4 ? body.allowAutoTopicCreation : true;
        req.includeTopicAuthorizedOperations = body.includeTopicAuthorizedOperations;
        const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: bv, correlationId: 0, clientId: header.clientId }, req, encodeMetadataRequest);
        const res = await ctx.send(session, ctx.anyBrokerOf(t.backend), frame);
        return decodeResponseFrame(res, ApiKey.Metadata, bv, decodeMetadataResponse).body;
      } catch (err) {
        ctx.log.warn({ err, backend: t.backend }, 'metadata of a backend not available');
        return failureOf(err);
      }
    }),
  );
  const resolveBackend = (topic: string): string | undefined => {
    const b = ctx.backendOfTopic(topic, policy);
    return typeof b === 'string' ? b : undefined;
  };
  const backendResponses = new Map<string, MetadataResponse | DestinationFailure>();
  [...ctx.topologies.keys()].forEach((b, i) => backendResponses.set(b, answers[i]));
  const merged = mergeMetadataResponses({
    version: v,
    requestedTopics: body.topics,
    backendResponses,
    resolveBackend,
    brokers: ctx.brokersFor(session),
    clusterId: ctx.clusterId,
    controllerId: 0,
    topicIds: ctx.topicIds,
    epochs: ctx.epochs,
    placePartition: (backend, topic, p) => placePartition(ctx, backend, topic, p),
  });
  rememberListedTopics(ctx, backendResponses, all);
  if (merged.incomplete) listUnansweredTopics(ctx, merged.response, backendResponses, resolveBackend);
  return encodeResponseFrame(ApiKey.Metadata, v, { correlationId: ex.correlationId }, merged.response, encodeMetadataResponse);
}

/** How often a backend that does not answer all-topics Metadata is logged. */
const UNANSWERED_LOG_INTERVAL_MS = 30_000;
/** Backend → when its not answering was last logged (per process: a log throttle, not routing state). */
const unansweredLoggedAt = new Map<string, number>();

/** Keeps what each answering backend listed: all of it for an all-topics request, else the topics it described. */
function rememberListedTopics(ctx: MultiContext, answers: ReadonlyMap<string, MetadataResponse | DestinationFailure>, all: boolean): void {
  for (const [backend, r] of answers) {
    if (r instanceof DestinationFailure) continue;
    const names = r.topics.filter((t) => t.errorCode === 0 && t.name !== null).map((t) => t.name as string);
    if (all) ctx.lastKnownTopics.replace(backend, names);
    else for (const n of names) ctx.lastKnownTopics.add(backend, n);
  }
}

/**
 * An all-topics answer without the backends that did not answer: their topics Turnout saw
 * before are listed with LEADER_NOT_AVAILABLE (retriable), so that clients keep them (a topic
 * missing from a full list looks deleted, and pattern subscribers drop it) and retry.
 */
function listUnansweredTopics(
  ctx: MultiContext,
  response: MetadataResponse,
  answers: ReadonlyMap<string, MetadataResponse | DestinationFailure>,
  resolveBackend: (topic: string) => string | undefined,
): void {
  const listed = new Set(response.topics.map((t) => t.name));
  for (const [backend, r] of answers) {
    if (!(r instanceof DestinationFailure)) continue;
    const stale = ctx.lastKnownTopics.namesResolvingTo(backend, resolveBackend).filter((n) => !listed.has(n));
    for (const name of stale) response.topics.push(unavailableTopic(ctx, name));
    ctx.metrics.metadataWithoutBackend(backend);
    // Clients refresh metadata often: one line per backend and interval, the metric counts every time.
    const now = Date.now();
    if (now - (unansweredLoggedAt.get(backend) ?? 0) < UNANSWERED_LOG_INTERVAL_MS) continue;
    unansweredLoggedAt.set(backend, now);
    ctx.log.warn({ backend, reason: r.reason, topics: stale.length }, 'metadata for all topics answered without a backend: its known topics listed as LEADER_NOT_AVAILABLE');
  }
}

function unavailableTopic(ctx: MultiContext, name: string): MetadataResponseTopic {
  return {
    errorCode: LEADER_NOT_AVAILABLE,
    name,
    topicId: ctx.topicIds.virtualIdOf(name) ?? ZERO_UUID,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}
