// Where a leader request's partitions go and how one destination is asked: the real leader of
// a partition on a backend, one request sent there and its answer decoded, and the leader
// forgotten when it answers that it leads no more.
import type { RequestHeader } from '../../codec/index.js';
import type { ClientSession } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import { decodeResponseFrame, encodeRequestFrame, type BodyDecoder, type BodyEncoder } from '../../codec/message-frames.js';
import type { RouteError } from '../split-route.js';
import { destinationOf, parseDestination } from './destinations.js';
import type { MultiContext } from './multi-context.js';

/**
 * The destination of a partition on its domain backend's real leader, or the error it is
 * answered with. `toReal` translates the partition's epochs (0 when fine).
 */
export function leaderDestination(ctx: MultiContext, backend: string | RouteError, topic: string, partition: number, toReal: (backend: string) => number = () => 0): string | RouteError {
  if (typeof backend !== 'string') return backend;
  const err = toReal(backend);
  if (err !== 0) return { errorCode: err };
  const leader = ctx.leaders.leaderOf(backend, topic, partition);
  if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
  return destinationOf(backend, leader);
}

/** Sends one destination's part to its broker and decodes the answer. */
export async function askDestination<Req, Res>(
  ctx: MultiContext,
  session: ClientSession,
  destination: string,
  header: RequestHeader,
  req: Req,
  encode: BodyEncoder<Req>,
  decode: BodyDecoder<Res>,
): Promise<Res> {
  const { backend, brokerId } = parseDestination(destination);
  const res = await ctx.send(session, ctx.addressOf(backend, brokerId), encodeRequestFrame(header, req, encode));
  return decodeResponseFrame(res, header.apiKey, header.apiVersion, decode).body;
}

/** Forgets a destination's leaderships when it answers a partition NOT_LEADER_OR_FOLLOWER. */
export function noteLeaderError(ctx: MultiContext, destination: string, errorCode: number): void {
  if (errorCode !== NOT_LEADER_OR_FOLLOWER) return;
  const { backend, brokerId } = parseDestination(destination);
  ctx.leaders.forgetBroker(backend, brokerId);
}
