// Requests every backend broker answers for itself (ListGroups, ListTransactions: each lists
// what it coordinates), asked of all of them concurrently. A Turnout node then lists the keys
// it presents itself as the coordinator of, so that a client asking every node (as the Java
// admin does) sees each key once; the bootstrap port lists all.
import type { ClientSession } from '../../net/request-router.js';
import { decodeResponseFrame, type BodyDecoder } from '../../codec/message-frames.js';
import type { DestinationFailure } from '../split-route.js';
import { failureOf } from './destinations.js';
import type { MultiContext } from './multi-context.js';

export interface BrokerAnswer<T> {
  backend: string;
  brokerId: number;
  answer: T | DestinationFailure;
}

/** Asks every broker of every backend (`frameFor` builds each one's frame; null: not that backend) and returns each answer or failure. */
export async function askEveryBroker<T>(
  ctx: MultiContext,
  session: ClientSession,
  frameFor: (backend: string) => Buffer | null,
  apiKey: number,
  version: number,
  decode: BodyDecoder<T>,
): Promise<Array<BrokerAnswer<T>>> {
  const asks: Array<Promise<BrokerAnswer<T>>> = [];
  for (const t of ctx.topologies.values()) {
    for (const brokerId of t.brokers().keys()) {
      // A frame per broker: the upstream writes its own correlation id into the frame it sends.
      const frame = frameFor(t.backend);
      if (frame === null) break;
      asks.push(
        (async (): Promise<BrokerAnswer<T>> => {
          try {
            const res = await ctx.send(session, ctx.addressOf(t.backend, brokerId), frame);
            return { backend: t.backend, brokerId, answer: decodeResponseFrame(res, apiKey, version, decode).body };
          } catch (err) {
            return { backend: t.backend, brokerId, answer: failureOf(err) };
          }
        })(),
      );
    }
  }
  return Promise.all(asks);
}

/** True when a key a broker of `backend` listed is listed by this session's Turnout node. */
export function listedHere(ctx: MultiContext, session: ClientSession, backend: string, keyType: number, key: string): boolean {
  if (ctx.backendOfKey(keyType, key) !== backend) return false;
  return session.virtualNodeId < 0 || ctx.coordinatorNodeOf(session, key) === session.virtualNodeId;
}
