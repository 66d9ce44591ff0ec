// Group administration over several backends: DeleteGroups is split per real coordinator and
// merged in the client's order; OffsetDelete goes to its group's coordinator. Both act where
// the group's domain lives, like every other group api, so `kafka-consumer-groups --delete`
// and `--delete-offsets` work through Turnout.
import { ApiKey } from '../../codec/index.js';
import {
  createDeletableGroupResult,
  decodeDeleteGroupsRequest,
  decodeDeleteGroupsResponse,
  encodeDeleteGroupsRequest,
  encodeDeleteGroupsResponse,
  type DeletableGroupResult,
} from '../../codec/generated/delete-groups.js';
import { createOffsetDeleteResponse, decodeOffsetDeleteRequest, encodeOffsetDeleteResponse } from '../../codec/generated/offset-delete.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { noteCoordinatorAnswer, scatterByCoordinator, toGroupCoordinator } from './coordinators.js';
import { parseDestination } from './destinations.js';
import { COORDINATOR_NOT_AVAILABLE, KEY_TYPE_GROUP } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { ThrottleTime } from './scatter-gather.js';

export async function deleteGroups(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDeleteGroupsRequest);
  const throttle = new ThrottleTime();
  const results = await scatterByCoordinator(ctx, session, KEY_TYPE_GROUP, body.groupsNames, {
    refused: (groupId, errorCode): DeletableGroupResult => ({ ...createDeletableGroupResult(), groupId, errorCode }),
    send: async (destination, part) => {
      const { backend, brokerId } = parseDestination(destination);
      const frame = encodeRequestFrame(header, { ...body, groupsNames: part }, encodeDeleteGroupsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.addressOf(backend, brokerId), frame), ApiKey.DeleteGroups, v, decodeDeleteGroupsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.results.map((r): [string, DeletableGroupResult] => {
        noteCoordinatorAnswer(ctx, destination, KEY_TYPE_GROUP, r.groupId, r.errorCode);
        return [r.groupId, r];
      });
    },
  });
  return encodeResponseFrame(ApiKey.DeleteGroups, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, results }, encodeDeleteGroupsResponse);
}

export function offsetDelete(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const { groupId } = decodeRequestFrame(ex.frame, decodeOffsetDeleteRequest).body;
  return toGroupCoordinator(ctx, session, ex, groupId, () => {
    const m = createOffsetDeleteResponse();
    m.errorCode = COORDINATOR_NOT_AVAILABLE;
    return encodeResponseFrame(ApiKey.OffsetDelete, ex.apiVersion, { correlationId: ex.correlationId }, m, encodeOffsetDeleteResponse);
  });
}
