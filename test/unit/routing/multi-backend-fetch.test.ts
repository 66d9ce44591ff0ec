// The Fetch path of the router over several backends, against fake backend brokers that the
// test answers by hand.
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { createFetchPartition } from '../../../src/codec/generated/fetch.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { recordBatch } from './record-batches.js';
import { waitUntil } from '../net/socket-test-kit.js';
import { responseOf } from './router-fixture.js';
import { exchange, fetchAnswerFor, learnMetadata, twoBackendRouter, twoBackendSession } from './two-backend-router.js';


/** How a fake broker answers a Fetch: with a record batch, or as an idle broker (empty at once for maxWait 0, else a long poll that never ends). */
type BrokerFetch = 'data' | 'idle';

interface FetchRun {
  /** The client's answer; an idle broker in this fake never answers a long poll. */
  answer: Promise<Buffer | null>;
  /** `backend/broker/maxWaitMs` of every Fetch sent upstream. */
  fetches: string[];
}

// The client's wait is long, and the deadline for an answer that should come at once far
// shorter: a router that waited out maxWait would miss it, a slow machine would not.
const CLIENT_MAX_WAIT_MS = 60_000;
const ANSWER_DEADLINE_MS = 15_000;

function answeredWithin(run: FetchRun): Promise<Buffer | null> {
  return Promise.race([run.answer, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms`)), ANSWER_DEADLINE_MS).unref())]);
}

/** One Fetch for orders.a partitions 0 (leader east/1) and 1 (leader east/2), answered by brokers behaving as `behaviour` says. */
async function runFetch(behaviour: (brokerId: number) => BrokerFetch): Promise<FetchRun> {
  const router = twoBackendRouter();
  const batch = await recordBatch({ baseOffset: 5 });
  const fetches: string[] = [];
  const session = twoBackendSession({
    leaderOf: (i) => i + 1,
    leaderEpoch: 3,
    answer: (address, frame, h) => {
      const req = decodeRequestFrame(frame, decodeFetchRequest).body;
      fetches.push(`${address.backend}/${address.brokerId}/${req.maxWaitMs}`);
      const res = fetchAnswerFor(req, (p) => {
        p.highWatermark = 6n;
        if (behaviour(address.brokerId) === 'data') p.records = batch;
      });
      if (behaviour(address.brokerId) === 'idle' && req.maxWaitMs > 0) return new Promise<Buffer>(() => undefined);
      return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Fetch, h.apiVersion, res));
    },
  });

  await learnMetadata(router, session);

  const fetch = createFetchRequest();
  Object.assign(fetch, { maxWaitMs: CLIENT_MAX_WAIT_MS, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
  fetch.topics = [{ topic: 'orders.a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0, 1].map((partition) => Object.assign(createFetchPartition(), { partition, fetchOffset: 5n, partitionMaxBytes: 1 << 16 })) }];
  const fex = exchange(ApiKey.Fetch, 12, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 7, clientId: 't' }, fetch, encodeFetchRequest));
  router.routeRequest(session, fex);
  return { answer: responseOf(router, session, fex), fetches };
}

/** [partition, error, has records] of each partition in a Fetch v12 answer. */
function partitionsOf(answer: Buffer): Array<[number, number, boolean]> {
  const m = decodeResponseFrame(answer, ApiKey.Fetch, 12, decodeFetchResponse).body;
  return m.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode, (p.records?.length ?? 0) > 0]);
}

describe('Fetch over several backends', () => {
  it('answers as soon as one destination has data, without waiting for an idle one', async () => {
    const run = await runFetch((broker) => (broker === 2 ? 'idle' : 'data'));
    const answer = await answeredWithin(run);
    expect(answer, 'answered without waiting for the idle broker').not.toBeNull();
    expect(partitionsOf(answer as Buffer)).toEqual([
      [0, 0, true],
      [1, 0, false],
    ]);
    // What both held at once was taken first; the data was enough, so nobody long-polled.
    expect(run.fetches.sort()).toEqual(['east/1/0', 'east/2/0']);
  });

  it('serves the data of every destination that has some, not only of the first to answer', async () => {
    const run = await runFetch(() => 'data');
    expect(partitionsOf((await answeredWithin(run)) as Buffer)).toEqual([
      [0, 0, true],
      [1, 0, true],
    ]);
    expect(run.fetches.sort()).toEqual(['east/1/0', 'east/2/0']);
  });

  it('long-polls every destination with the time left when none has data yet', async () => {
    const run = await runFetch(() => 'idle');
    let answered = false;
    void run.answer.then(() => (answered = true));
    await waitUntil(() => run.fetches.length >= 4, ANSWER_DEADLINE_MS);
    const waits = run.fetches.map((f) => Number(f.split('/')[2]));
    expect(waits.slice(0, 2)).toEqual([0, 0]);
    expect(waits.slice(2).length).toBe(2);
    // The time left of the client's wait, whatever the clock did meanwhile.
    for (const w of waits.slice(2)) {
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(CLIENT_MAX_WAIT_MS);
    }
    // Nobody answers the long poll in this fake, so the client waits: the answer is the client's maxWait's business.
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
  });
});
