// Metadata over several backends: every backend is asked (at v12 or its highest below, for real
// topic ids and leader epochs), the answers merged into Turnout's virtual cluster, and each
// partition placed on a Turnout node (its real leader remembered for the requests to come).
import { ApiKey, ZERO_UUID, createMetadataRequest, decodeMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse, type MetadataResponse } from '../../codec/index.js';
import type { MetadataRequestTopic, MetadataResponsePartition, MetadataResponseTopic } from '../../codec/generated/metadata.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { mergeMetadataResponses } from '../metadata-merge.js';
import { LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION } from '../error-codes.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './multi-codes.js';
import { DestinationFailure } from '../split-route.js';
import { isIdentityRefusal, UpstreamError } from '../../net/upstream-connection.js';
import { failureOf } from './destinations.js';
import type { MultiContext } from './multi-context.js';
import type { BackendTopology } from '../backend-topology.js';
import type { ServedNodes } from '../zone-nodes.js';

/** Backends are asked Metadata at this version (real topic ids and leader epochs) or their highest below it. */
const BACKEND_METADATA_VERSION = 12;

/**
 * Places a backend partition on the Turnout nodes a client is shown, in place: leader the node
 * of the real broker that serves the client's fetches of it (MultiContext.virtualLeaderOf),
 * replicas and ISR the nodes that follow it, so that the client connects to no other node.
 * Remembers the real leader, its epoch and in-sync replicas first.
 */
export function placePartition(
  ctx: MultiContext,
  session: ClientSession,
  served: ServedNodes,
  backend: string,
  topic: string,
  p: MetadataResponsePartition,
  learnedAtMs: number,
  realLeaderEpoch: number,
): void {
  ctx.leaders.record(backend, topic, p.partitionIndex, p.leaderId, p.isrNodes, learnedAtMs, realLeaderEpoch, p.replicaNodes);
  const ids = served.group.nodeIds;
  const n = ids.length;
  const leader = ctx.virtualLeaderOf(session, served, backend, topic, p.partitionIndex);
  const first = ids.indexOf(leader);
  const replicas = Math.max(1, Math.min(p.replicaNodes.length, n));
  const isr = Math.min(p.isrNodes.length, replicas);
  p.replicaNodes = Array.from({ length: replicas }, (_, i) => ids[(first + i) % n]);
  p.isrNodes = p.replicaNodes.slice(0, isr);
  p.offlineReplicas = [];
  if (p.leaderId >= 0) p.leaderId = leader;
}

export interface BackendMetadataAsk {
  /** null: every topic. */
  topics: MetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
  includeTopicAuthorizedOperations: boolean;
  clientId: string | null;
}

/** Asks some broker of a backend for metadata at v12 (or its highest below). */
export async function askBackendMetadata(ctx: MultiContext, session: ClientSession, t: BackendTopology, ask: BackendMetadataAsk): Promise<MetadataResponse> {
  const range = t.apiVersions.range(ApiKey.Metadata);
  const bv = Math.min(BACKEND_METADATA_VERSION, range?.maxVersion ?? BACKEND_METADATA_VERSION);
  const req = createMetadataRequest();
  req.topics = ask.topics;
  req.allowAutoTopicCreation = ask.allowAutoTopicCreation;
  req.includeTopicAuthorizedOperations = ask.includeTopicAuthorizedOperations;
  const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: bv, correlationId: 0, clientId: ask.clientId }, req, encodeMetadataRequest);
  const res = await ctx.send(session, ctx.anyBrokerOf(t.backend, session.zone ?? null), frame);
  return decodeResponseFrame(res, ApiKey.Metadata, bv, decodeMetadataResponse).body;
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
  const served = ctx.served(session);
  const askedAtMs = Date.now();
  const answers = await Promise.all(
    [...ctx.topologies.values()].map(async (t): Promise<MetadataResponse | DestinationFailure> => {
      try {
        return await askBackendMetadata(ctx, session, t, {
          topics: all ? null : (asked.get(t.backend) as MetadataRequestTopic[]),
          allowAutoTopicCreation: v >= 4 ? body.allowAutoTopicCreation : true,
          includeTopicAuthorizedOperations: body.includeTopicAuthorizedOperations,
          clientId: header.clientId,
        });
      } catch (err) {
        // An upstream closed on Turnout's side (the client left mid-request) says nothing about
        // the backend; one that refuses Turnout's identity is logged by the identity health.
        if (err instanceof UpstreamError && (err.kind === 'closed' || isIdentityRefusal(err.kind))) ctx.log.debug({ err, backend: t.backend }, 'metadata not gathered');
        else ctx.log.warn({ err, backend: t.backend }, 'metadata of a backend not available');
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
  const brokers = ctx.brokersFor(session, served);
  const merged = mergeMetadataResponses({
    version: v,
    requestedTopics: body.topics,
    backendResponses,
    resolveBackend,
    brokers,
    clusterId: ctx.clusterId,
    // One of the nodes this client is shown: with zones, node 0 may be another zone's.
    controllerId: brokers[0]?.nodeId ?? -1,
    topicIds: ctx.topicIds,
    epochs: ctx.epochs,
    placePartition: (backend, topic, p, realEpoch) => placePartition(ctx, session, served, backend, topic, p, askedAtMs, realEpoch),
  });
  rememberListedTopics(ctx, backendResponses, all);
  answerCreatedTopicsAsNotYetAvailable(ctx, merged.response);
  if (merged.incomplete) listUnansweredTopics(ctx, merged.response, backendResponses, resolveBackend);
  return encodeResponseFrame(ApiKey.Metadata, v, { correlationId: ex.correlationId }, merged.response, encodeMetadataResponse);
}

/** A topic created through Turnout a moment ago that its backend's broker does not know yet: retriable (recently-created-topics.ts). */
function answerCreatedTopicsAsNotYetAvailable(ctx: MultiContext, response: MetadataResponse): void {
  for (const t of response.topics) {
    if (t.errorCode === UNKNOWN_TOPIC_OR_PARTITION && t.name !== null && ctx.createdTopics.isNew(t.name)) t.errorCode = LEADER_NOT_AVAILABLE;
  }
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
