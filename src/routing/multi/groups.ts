// Classic consumer group requests over several backends. Single-group requests go to the
// group's real coordinator (coordinators.ts); JoinGroup is refused when the subscription
// reaches topics of another backend; DescribeGroups is split per real coordinator; ListGroups
// asks every backend broker, and a Turnout node lists the groups it presents itself as the
// coordinator of.
import { ApiKey, createJoinGroupResponse, decodeJoinGroupRequest, decodeOffsetFetchRequest, encodeJoinGroupResponse } from '../../codec/index.js';
import {
  createDescribedGroup,
  decodeDescribeGroupsRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
  type DescribedGroup,
} from '../../codec/generated/describe-groups.js';
import {
  createListGroupsResponse,
  decodeListGroupsRequest,
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  encodeListGroupsResponse,
  type ListGroupsResponse,
} from '../../codec/generated/list-groups.js';
import { createOffsetFetchResponse, createOffsetFetchResponseGroup, encodeOffsetFetchResponse } from '../../codec/generated/offset-fetch.js';
import { RequestRejectedError, type ClientSession, type RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { noteCoordinatorAnswer, scatterByCoordinator, toGroupCoordinator } from './coordinators.js';
import { parseDestination } from './destinations.js';
import { COORDINATOR_NOT_AVAILABLE, INCONSISTENT_GROUP_PROTOCOL, KEY_TYPE_GROUP } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { askEveryBroker, listedHere } from './every-broker.js';
import { ThrottleTime } from './scatter-gather.js';
import { DestinationFailure } from '../split-route.js';

/**
 * The topics of a consumer's subscription (the consumer protocol's metadata: version int16,
 * then the topic names as an int16-length string array). Unreadable metadata subscribes to none.
 */
export function subscribedTopics(metadata: Buffer): string[] {
  try {
    if (metadata.length < 6) return [];
    const count = metadata.readInt32BE(2);
    const topics: string[] = [];
    let at = 6;
    for (let i = 0; i < count && at + 2 <= metadata.length; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) break;
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return [];
  }
}

/**
 * The subscribed topics that live on another backend than the group's (their offsets could
 * not be committed there). A topic a cutover moved on while the group stayed behind is not
 * elsewhere: its partitions' segments include the group's backend, which still has the topic,
 * and the offsets the group commits there are virtual. That stays so once the segment on the
 * group's backend is retired: the domain's groups are still coordinated there.
 */
export function topicsElsewhere(ctx: MultiContext, groupBackend: string, topics: Iterable<string>): string[] {
  const policy = ctx.policy();
  const elsewhere = new Set<string>();
  for (const topic of topics) {
    const b = ctx.backendOfTopic(topic, policy);
    if (typeof b === 'string' && b !== groupBackend && !ctx.segments.topicHasBackend(topic, groupBackend) && !ctx.segments.topicGroupsStayOn(topic, groupBackend)) elsewhere.add(topic);
  }
  return [...elsewhere];
}

/**
 * JoinGroup, refused when a consumer subscribes to topics that live on another backend than
 * the group: that backend's coordinator could not commit their offsets, and the group would
 * silently lose its positions.
 */
export function joinGroup(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const { body } = decodeRequestFrame(ex.frame, decodeJoinGroupRequest);
  const backend = ctx.backendOfKey(KEY_TYPE_GROUP, body.groupId);
  if (backend !== undefined && body.protocolType === 'consumer') {
    const elsewhere = topicsElsewhere(
      ctx,
      backend,
      body.protocols.flatMap((p) => subscribedTopics(p.metadata)),
    );
    if (elsewhere.length > 0) {
      ctx.log.warn({ groupId: body.groupId, backend, topics: elsewhere }, 'a consumer group subscribes to topics on another backend: refused');
      const m = createJoinGroupResponse();
      m.errorCode = INCONSISTENT_GROUP_PROTOCOL;
      m.memberId = body.memberId;
      return Promise.resolve(encodeResponseFrame(ApiKey.JoinGroup, ex.apiVersion, { correlationId: ex.correlationId }, m, encodeJoinGroupResponse));
    }
  }
  return toGroupCoordinator(ctx, session, ex, body.groupId);
}

/** OffsetFetch of one group to its coordinator; several groups at once (v8+) are not routed. */
export function offsetFetch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const body = decodeRequestFrame(ex.frame, decodeOffsetFetchRequest).body;
  if (ex.apiVersion >= 8 && body.groups.length !== 1) {
    throw new RequestRejectedError('unsupported_request', ex.apiKey, ex.apiVersion, 'OffsetFetch for several groups at once is not routed over several backends');
  }
  const groupId = ex.apiVersion < 8 ? body.groupId : body.groups[0].groupId;
  return toGroupCoordinator(ctx, session, ex, groupId, () => offsetFetchUnavailable(ex, groupId));
}

/** OffsetFetch answered COORDINATOR_NOT_AVAILABLE (v2+ has a group-level error; v0-1 close the connection). */
function offsetFetchUnavailable(ex: RequestExchange, groupId: string): Buffer {
  const v = ex.apiVersion;
  const m = createOffsetFetchResponse();
  if (v >= 8) m.groups = [{ ...createOffsetFetchResponseGroup(), groupId, errorCode: COORDINATOR_NOT_AVAILABLE }];
  else if (v >= 2) m.errorCode = COORDINATOR_NOT_AVAILABLE;
  else throw new Error('no failure response for OffsetFetch v0-1');
  return encodeResponseFrame(ApiKey.OffsetFetch, v, { correlationId: ex.correlationId }, m, encodeOffsetFetchResponse);
}

export async function describeGroups(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeGroupsRequest);
  const throttle = new ThrottleTime();
  const refused = (groupId: string, errorCode: number): DescribedGroup => ({ ...createDescribedGroup(), groupId, errorCode });
  const groups = await scatterByCoordinator(ctx, session, KEY_TYPE_GROUP, body.groups, {
    refused,
    send: async (destination, part) => {
      const { backend, brokerId } = parseDestination(destination);
      const frame = encodeRequestFrame(header, { ...body, groups: part }, encodeDescribeGroupsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.addressOf(backend, brokerId), frame), ApiKey.DescribeGroups, v, decodeDescribeGroupsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.groups.map((g): [string, DescribedGroup] => {
        noteCoordinatorAnswer(ctx, destination, KEY_TYPE_GROUP, g.groupId, g.errorCode);
        return [g.groupId, g];
      });
    },
  });
  return encodeResponseFrame(ApiKey.DescribeGroups, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, groups }, encodeDescribeGroupsResponse);
}

export async function listGroups(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeListGroupsRequest);
  const merged: ListGroupsResponse = { ...createListGroupsResponse(), groups: [] };
  const seen = new Set<string>();
  const frameFor = (): Buffer => encodeRequestFrame(header, body, encodeListGroupsRequest);
  for (const { backend, answer } of await askEveryBroker(ctx, session, frameFor, ApiKey.ListGroups, v, decodeListGroupsResponse)) {
    if (answer instanceof DestinationFailure) {
      merged.errorCode = COORDINATOR_NOT_AVAILABLE;
      continue;
    }
    merged.throttleTimeMs = Math.max(merged.throttleTimeMs, answer.throttleTimeMs);
    if (answer.errorCode !== 0) merged.errorCode = answer.errorCode;
    for (const g of answer.groups) {
      if (seen.has(g.groupId) || !listedHere(ctx, session, backend, KEY_TYPE_GROUP, g.groupId)) continue;
      seen.add(g.groupId);
      merged.groups.push(g);
    }
  }
  merged.groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return encodeResponseFrame(ApiKey.ListGroups, v, { correlationId: ex.correlationId }, merged, encodeListGroupsResponse);
}
