// Coordinators over several backends. FindCoordinator is answered by Turnout with one of its
// own nodes (spread by key); the coordinator requests that follow go to the real coordinator
// of the key on the backend of its domain, found with FindCoordinator there, cached, and
// forgotten when it answers NOT_COORDINATOR or cannot be reached. A group's backend is where
// its domain's groups stayed behind a cutover, while they do (MultiContext.groupBackendOf).
import {
  ApiKey,
  decodeFindCoordinatorRequest,
  decodeFindCoordinatorResponse,
  decodeResponseBody,
  decodeResponseHeader,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  responseHeaderVersion,
  type FindCoordinatorResponse,
} from '../../codec/index.js';
import { createFindCoordinatorRequest, createFindCoordinatorResponse } from '../../codec/generated/find-coordinator.js';
import { writeResponseCorrelationId } from '../../net/correlation.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST, KEY_TYPE_GROUP, KEY_TYPE_TRANSACTION, NOT_COORDINATOR, TURNOUT_CLIENT_ID } from './multi-codes.js';
import { destinationOf, parseDestination } from './destinations.js';
import type { MultiContext } from './multi-context.js';
import { scatterGather } from './scatter-gather.js';

/** FindCoordinator version Turnout asks backends with (single key, every broker since 2.4). */
const BACKEND_FIND_COORDINATOR_VERSION = 3;

export function findCoordinator(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Buffer {
  const v = ex.apiVersion;
  const { body } = decodeRequestFrame(ex.frame, decodeFindCoordinatorRequest);
  const served = ctx.served(session);
  const policy = ctx.policy();
  const answer = (key: string): { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null } => {
    const kind = body.keyType === KEY_TYPE_TRANSACTION ? 'transactionalId' : 'group';
    if (body.keyType !== KEY_TYPE_GROUP && body.keyType !== KEY_TYPE_TRANSACTION) {
      return { nodeId: -1, host: '', port: -1, errorCode: INVALID_REQUEST, errorMessage: `key type ${body.keyType} is not routed over several backends` };
    }
    const res = policy.resolve(kind, key);
    if (!res.ok) return { nodeId: -1, host: '', port: -1, errorCode: res.errorCode, errorMessage: res.reason };
    const node = served.group.endpoint(ctx.coordinatorNodeOf(session, key));
    if (node === undefined) return { nodeId: -1, host: '', port: -1, errorCode: COORDINATOR_NOT_AVAILABLE, errorMessage: null };
    return { nodeId: node.nodeId, host: node.host, port: node.port, errorCode: 0, errorMessage: null };
  };
  // Fields a version lacks keep their defaults: the encoder refuses anything else.
  const m: FindCoordinatorResponse = createFindCoordinatorResponse();
  if (v < 4) Object.assign(m, answer(body.key));
  else m.coordinators = body.coordinatorKeys.map((key) => ({ key, ...answer(key) }));
  return encodeResponseFrame(ApiKey.FindCoordinator, v, { correlationId: ex.correlationId }, m, encodeFindCoordinatorResponse);
}

/** The real coordinator's broker id for a key on a backend, from the cache or asked for. */
export async function coordinatorOf(ctx: MultiContext, session: ClientSession, backend: string, keyType: number, key: string): Promise<number> {
  const cacheKey = coordinatorCacheKey(backend, keyType, key);
  const cached = ctx.coordinators.get(cacheKey);
  if (cached !== undefined) return cached;
  const req = createFindCoordinatorRequest();
  req.key = key;
  req.keyType = keyType;
  const v = BACKEND_FIND_COORDINATOR_VERSION;
  const frame = encodeRequestFrame({ apiKey: ApiKey.FindCoordinator, apiVersion: v, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, req, encodeFindCoordinatorRequest);
  const res = await ctx.send(session, ctx.anyBrokerOf(backend), frame);
  const answer = decodeResponseFrame(res, ApiKey.FindCoordinator, v, decodeFindCoordinatorResponse).body;
  if (answer.errorCode !== 0 || answer.nodeId < 0) throw new Error(`FindCoordinator for ${key} on ${backend} answered error ${answer.errorCode}`);
  ctx.coordinators.set(cacheKey, answer.nodeId);
  return answer.nodeId;
}

export function coordinatorCacheKey(backend: string, keyType: number, key: string): string {
  return `${backend}/${keyType}/${key}`;
}

/** True for the errors that say a broker is not (or no longer) a key's coordinator. */
export function isNotCoordinator(code: number | undefined): boolean {
  return code === NOT_COORDINATOR || code === COORDINATOR_NOT_AVAILABLE;
}

/** True when a coordinator's answer says it is not (or no longer) the coordinator. */
function answersNotCoordinator(frame: Buffer, ex: RequestExchange): boolean {
  try {
    const header = decodeResponseHeader(frame.subarray(4), responseHeaderVersion(ex.apiKey, ex.apiVersion));
    const m = decodeResponseBody(ex.apiKey, ex.apiVersion, frame.subarray(4 + header.headerSizeBytes)) as {
      errorCode?: number;
      groups?: Array<{ errorCode?: number }>;
      topics?: Array<{ partitions?: Array<{ errorCode?: number }> }>;
    };
    if (isNotCoordinator(m.errorCode)) return true;
    if (m.groups?.some((g) => isNotCoordinator(g.errorCode)) === true) return true;
    return m.topics?.some((t) => t.partitions?.some((p) => isNotCoordinator(p.errorCode)) === true) === true;
  } catch {
    return false;
  }
}

/**
 * Sends `frame` to the real coordinator of a key; resolves with the response frame in the
 * client's correlation. When the coordinator cannot be found or reached, answers with
 * `unavailable` (the api's COORDINATOR_NOT_AVAILABLE answer, which clients retry), or with
 * the generic failure answer of the api.
 */
export async function toCoordinator(
  ctx: MultiContext,
  session: ClientSession,
  ex: RequestExchange,
  backend: string,
  keyType: number,
  key: string,
  frame: Buffer,
  unavailable?: () => Buffer,
): Promise<Buffer> {
  const cacheKey = coordinatorCacheKey(backend, keyType, key);
  try {
    const brokerId = await coordinatorOf(ctx, session, backend, keyType, key);
    const res = await ctx.send(session, ctx.addressOf(backend, brokerId), frame);
    writeResponseCorrelationId(res, ex.correlationId);
    if (answersNotCoordinator(res, ex)) ctx.coordinators.delete(cacheKey);
    return res;
  } catch (err) {
    ctx.coordinators.delete(cacheKey);
    ctx.log.debug({ err, key, keyType, backend }, 'coordinator request failed');
    return unavailable === undefined ? ctx.failureFrame(ex) : unavailable();
  }
}

/** Sends a group request to the group's coordinator on its domain backend. */
export function toGroupCoordinator(ctx: MultiContext, session: ClientSession, ex: RequestExchange, groupId: string, unavailable?: () => Buffer): Promise<Buffer> {
  const backend = ctx.backendOfKey(KEY_TYPE_GROUP, groupId);
  // The client was told at FindCoordinator; a request anyway gets the coordinator error.
  if (backend === undefined) return Promise.resolve(unavailable === undefined ? ctx.failureFrame(ex) : unavailable());
  return toCoordinator(ctx, session, ex, backend, KEY_TYPE_GROUP, groupId, ex.frame, unavailable);
}

/**
 * The real coordinator (`backend/brokerId`) of each key, or the error the key is answered
 * with: the policy's for a key no domain claims, COORDINATOR_NOT_AVAILABLE when it cannot be found.
 */
export async function keyCoordinators(ctx: MultiContext, session: ClientSession, keyType: number, keys: readonly string[]): Promise<Array<string | number>> {
  const policy = ctx.policy();
  return Promise.all(
    keys.map(async (key): Promise<string | number> => {
      const res = policy.resolve(keyType === KEY_TYPE_TRANSACTION ? 'transactionalId' : 'group', key);
      if (!res.ok) return res.errorCode;
      const backend = keyType === KEY_TYPE_TRANSACTION ? res.domain.backend : ctx.groupBackendOf(res.domain, key);
      if (!ctx.topologies.has(backend)) return COORDINATOR_NOT_AVAILABLE;
      try {
        return destinationOf(backend, await coordinatorOf(ctx, session, backend, keyType, key));
      } catch {
        return COORDINATOR_NOT_AVAILABLE;
      }
    }),
  );
}

/** Forgets a key's cached coordinator when its answer says it is no longer the one. */
export function noteCoordinatorAnswer(ctx: MultiContext, destination: string, keyType: number, key: string, errorCode: number): void {
  if (isNotCoordinator(errorCode)) ctx.coordinators.delete(coordinatorCacheKey(parseDestination(destination).backend, keyType, key));
}

export interface CoordinatorScatterSpec<R extends object> {
  /** The result of a key answered without being sent (no domain, no coordinator found or answering). */
  refused: (key: string, errorCode: number) => R;
  /** Sends one real coordinator's keys (`backend/brokerId`); resolves with their results by key. */
  send: (destination: string, keys: string[]) => Promise<Iterable<readonly [string, R]>>;
}

/** A request for several keys split per real coordinator, answers merged in the client's order. */
export async function scatterByCoordinator<R extends object>(
  ctx: MultiContext,
  session: ClientSession,
  keyType: number,
  keys: readonly string[],
  spec: CoordinatorScatterSpec<R>,
): Promise<R[]> {
  const where = await keyCoordinators(ctx, session, keyType, keys);
  return scatterGather({
    items: keys,
    keyOf: (key) => key,
    route: (key, i) => {
      const w = where[i];
      return typeof w === 'string' ? w : spec.refused(key, w);
    },
    send: spec.send,
    unanswered: (key) => spec.refused(key, COORDINATOR_NOT_AVAILABLE),
  });
}
