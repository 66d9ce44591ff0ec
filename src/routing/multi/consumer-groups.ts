// The KIP-848 consumer group protocol over several backends. ConsumerGroupHeartbeat goes to the
// group's real coordinator on its domain's group backend, like the classic group requests, with topic
// ids translated (owned partitions to real, the assignment back to virtual); a heartbeat that
// subscribes to topics living on another backend than the group is refused with
// INVALID_REQUEST and a message (the consumer stops with it) rather than let the group lose the
// offsets of those topics. ConsumerGroupDescribe is split per real coordinator, assignments in
// virtual topic ids.
import {
  ApiKey,
  createConsumerGroupHeartbeatResponse,
  decodeConsumerGroupHeartbeatRequest,
  decodeConsumerGroupHeartbeatResponse,
  encodeConsumerGroupHeartbeatRequest,
  encodeConsumerGroupHeartbeatResponse,
} from '../../codec/index.js';
import {
  createDescribedGroup,
  decodeConsumerGroupDescribeRequest,
  decodeConsumerGroupDescribeResponse,
  encodeConsumerGroupDescribeRequest,
  encodeConsumerGroupDescribeResponse,
  type DescribedGroup,
} from '../../codec/generated/consumer-group-describe.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import type { TopicIdMap } from '../topic-id-map.js';
import { noteCoordinatorAnswer, scatterByCoordinator, toCoordinator } from './coordinators.js';
import { parseDestination } from './destinations.js';
import { topicsElsewhere } from './groups.js';
import { COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST, KEY_TYPE_GROUP } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { ThrottleTime } from './scatter-gather.js';

/** Topic ids of `backend` to virtual ones, in place; an id Turnout has not seen is left as it is (the client's metadata refresh binds it). */
function topicIdsToVirtual(entries: Iterable<{ topicId: string }>, backend: string, topicIds: TopicIdMap): void {
  for (const e of entries) e.topicId = topicIds.virtualIdOfReal(backend, e.topicId) ?? e.topicId;
}

export async function consumerGroupHeartbeat(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeConsumerGroupHeartbeatRequest);
  const answer = (errorCode: number, errorMessage: string | null): Buffer => {
    const m = createConsumerGroupHeartbeatResponse();
    m.errorCode = errorCode;
    m.errorMessage = errorMessage;
    return encodeResponseFrame(ApiKey.ConsumerGroupHeartbeat, v, { correlationId: ex.correlationId }, m, encodeConsumerGroupHeartbeatResponse);
  };
  const res = ctx.policy().resolve('group', body.groupId);
  if (!res.ok) return answer(res.errorCode, res.reason);
  const backend = ctx.groupBackendOf(res.domain, body.groupId);
  if (!ctx.topologies.has(backend)) return answer(COORDINATOR_NOT_AVAILABLE, null);
  const elsewhere = topicsElsewhere(ctx, backend, body.subscribedTopicNames ?? []);
  if (elsewhere.length > 0) {
    ctx.log.warn({ groupId: body.groupId, backend, topics: elsewhere }, 'a consumer group subscribes to topics on another backend: refused');
    return answer(INVALID_REQUEST, `group ${body.groupId} lives on backend ${backend}; topics ${elsewhere.join(', ')} live on another backend, where the group could not commit their offsets`);
  }
  for (const t of body.topicPartitions ?? []) t.topicId = ctx.topicIds.realIdOf(t.topicId, backend) ?? t.topicId;
  const frame = await toCoordinator(ctx, session, ex, backend, KEY_TYPE_GROUP, body.groupId, encodeRequestFrame(header, body, encodeConsumerGroupHeartbeatRequest));
  const decoded = decodeResponseFrame(frame, ApiKey.ConsumerGroupHeartbeat, v, decodeConsumerGroupHeartbeatResponse);
  if (decoded.body.assignment === null) return frame;
  topicIdsToVirtual(decoded.body.assignment.topicPartitions, backend, ctx.topicIds);
  return encodeResponseFrame(ApiKey.ConsumerGroupHeartbeat, v, decoded.header, decoded.body, encodeConsumerGroupHeartbeatResponse);
}

export async function consumerGroupDescribe(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeConsumerGroupDescribeRequest);
  const throttle = new ThrottleTime();
  const refused = (groupId: string, errorCode: number): DescribedGroup => ({ ...createDescribedGroup(), groupId, errorCode });
  const groups = await scatterByCoordinator(ctx, session, KEY_TYPE_GROUP, body.groupIds, {
    refused,
    send: async (destination, groupIds) => {
      const { backend, brokerId } = parseDestination(destination);
      const frame = encodeRequestFrame(header, { ...body, groupIds }, encodeConsumerGroupDescribeRequest);
      const res = await ctx.send(session, ctx.addressOf(backend, brokerId), frame);
      const answer = decodeResponseFrame(res, ApiKey.ConsumerGroupDescribe, v, decodeConsumerGroupDescribeResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.groups.map((g): [string, DescribedGroup] => {
        noteCoordinatorAnswer(ctx, destination, KEY_TYPE_GROUP, g.groupId, g.errorCode);
        for (const m of g.members) {
          topicIdsToVirtual(m.assignment.topicPartitions, backend, ctx.topicIds);
          topicIdsToVirtual(m.targetAssignment.topicPartitions, backend, ctx.topicIds);
        }
        return [g.groupId, g];
      });
    },
  });
  return encodeResponseFrame(ApiKey.ConsumerGroupDescribe, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, groups }, encodeConsumerGroupDescribeResponse);
}
