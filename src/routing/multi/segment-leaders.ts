// Leaders of a chained partition's older segments. Clients' Metadata only describes a topic on
// its domain's backend, so the leaders of the same topic on a backend an older segment lives
// on are not known until asked: the first request that needs one asks that backend's Metadata
// for the topic (one request per backend and topic at a time, shared by concurrent asks) and
// records every partition's leader, as a client's Metadata would.
import { ZERO_UUID } from '../../codec/index.js';
import type { ClientSession } from '../../net/request-router.js';
import { askBackendMetadata } from './metadata.js';
import { TURNOUT_CLIENT_ID } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';

/** The real leader of a partition on `backend`, asked of the backend when not known; -1 when it has none. */
export async function leaderOnBackend(ctx: MultiContext, session: ClientSession, backend: string, topic: string, partition: number): Promise<number> {
  const known = ctx.leaders.leaderOf(backend, topic, partition);
  if (known >= 0) return known;
  await learnLeaders(ctx, session, backend, topic);
  return ctx.leaders.leaderOf(backend, topic, partition);
}

function learnLeaders(ctx: MultiContext, session: ClientSession, backend: string, topic: string): Promise<void> {
  const key = `${backend}/${topic}`;
  const pending = ctx.leaderLookups.get(key);
  if (pending !== undefined) return pending;
  const topology = ctx.topologies.get(backend);
  if (topology === undefined) return Promise.resolve();
  const askedAtMs = Date.now();
  const lookup = askBackendMetadata(ctx, session, topology, {
    topics: [{ topicId: ZERO_UUID, name: topic }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
    clientId: TURNOUT_CLIENT_ID,
  })
    .then((answer) => {
      for (const t of answer.topics) {
        if (t.errorCode !== 0 || t.name !== topic) continue;
        for (const p of t.partitions) ctx.leaders.record(backend, topic, p.partitionIndex, p.leaderId, p.isrNodes, askedAtMs, -1, p.replicaNodes);
      }
    })
    .catch((err: unknown) => ctx.log.debug({ err, backend, topic }, 'leaders of an older segment not learned'))
    .finally(() => ctx.leaderLookups.delete(key));
  ctx.leaderLookups.set(key, lookup);
  return lookup;
}
