// A Produce over several backends that one broker takes whole: a plain answer (no error, no
// tagged field) is made the client's in place, anything else is decoded and put in the
// client's terms; turnout_multi_produce_total counts which.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  ApiKey,
  createMetadataRequest,
  createProduceResponse,
  decodeMetadataResponse,
  decodeProduceRequest,
  decodeProduceResponse,
  encodeMetadataRequest,
  encodeProduceRequest,
  encodeResponseFrame,
  type ProduceResponse,
} from '../../../src/codec/index.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import type { BrokerAddress, ClientSession } from '../../../src/net/request-router.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../../../src/routing/error-codes.js';
import { produceRequestOf } from './record-batches.js';
import { ORDERS_REAL_ID, exchange, twoBackendRouter, twoBackendSession } from './two-backend-router.js';

/** How the fake broker answers: every partition as `fill` makes it, topics named as the request named them unless `topicId` says otherwise. */
interface BrokerAnswer {
  fill?: (p: ProduceResponse['responses'][number]['partitionResponses'][number]) => void;
  topicId?: string;
}

interface Rig {
  router: MultiBackendRouter;
  session: ClientSession;
  registry: Registry;
  /** orders.a's virtual id, as the client's Metadata gave it. */
  virtualId: string;
  answer: BrokerAnswer;
}

async function rig(): Promise<Rig> {
  const registry = new Registry();
  const router = twoBackendRouter(registry);
  const r = { router, registry, virtualId: '', answer: {} } as Rig;
  r.session = twoBackendSession({
    leaderOf: () => 1,
    leaderEpoch: 4,
    answer: (_address: BrokerAddress, frame: Buffer) => {
      const { header, body } = decodeRequestFrame(frame, decodeProduceRequest);
      const m = createProduceResponse();
      m.responses = body.topicData.map((t) => ({
        name: t.name,
        topicId: r.answer.topicId ?? t.topicId,
        partitionResponses: t.partitionData.map((d) => {
          const p = { index: d.index, errorCode: 0, baseOffset: 100n + BigInt(d.index), logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null } as ProduceResponse['responses'][number]['partitionResponses'][number];
          r.answer.fill?.(p);
          return p;
        }),
      }));
      return Promise.resolve(encodeResponseFrame(header.correlationId, ApiKey.Produce, header.apiVersion, m));
    },
  });
  const metadata = createMetadataRequest();
  metadata.topics = null;
  const ex = exchange(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, metadata, encodeMetadataRequest));
  router.routeRequest(r.session, ex);
  const md = decodeResponseFrame((await ex.deferred) as Buffer, ApiKey.Metadata, 12, decodeMetadataResponse).body;
  r.virtualId = md.topics.find((t) => t.name === 'orders.a')?.topicId as string;
  return r;
}

async function produce(r: Rig, version: number): Promise<{ frame: Buffer; answer: ProduceResponse }> {
  const req = await produceRequestOf(version, [['orders.a', [0, 1]]], { 'orders.a': r.virtualId });
  const ex = exchange(ApiKey.Produce, version, encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: version, correlationId: 7, clientId: 't' }, req, encodeProduceRequest));
  r.router.routeRequest(r.session, ex);
  const frame = (await ex.deferred) as Buffer;
  return { frame, answer: decodeResponseFrame(frame, ApiKey.Produce, version, decodeProduceResponse).body };
}

async function producePaths(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'turnout_multi_produce_total');
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.path), v.value]));
}

describe('a Produce over several backends that one broker takes whole', () => {
  for (const version of [7, 8, 12, 13]) {
    it(`answers a plain v${version} answer in place, in the client's topic ids and correlation id`, async () => {
      const r = await rig();
      const { frame, answer } = await produce(r, version);
      expect(frame.readInt32BE(4)).toBe(7);
      expect(answer.responses).toHaveLength(1);
      const t = answer.responses[0];
      if (version >= 13) expect(t.topicId).toBe(r.virtualId);
      else expect(t.name).toBe('orders.a');
      expect(t.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
        [0, 0, 100n],
        [1, 0, 101n],
      ]);
      expect(await producePaths(r.registry)).toEqual({ in_place: 1 });
    });
  }

  it('decodes an answer with an error and a CurrentLeader, naming a Turnout node', async () => {
    const r = await rig();
    r.answer.fill = (p) => {
      if (p.index !== 1) return;
      p.errorCode = NOT_LEADER_OR_FOLLOWER;
      p.currentLeader = { leaderId: 2, leaderEpoch: 4 };
    };
    const { answer } = await produce(r, 13);
    const p = answer.responses[0].partitionResponses[1];
    expect(p.errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
    // One of Turnout's 3 nodes, whatever real broker leads.
    expect([0, 1, 2]).toContain(p.currentLeader?.leaderId);
    expect(answer.responses[0].topicId).toBe(r.virtualId);
    expect(await producePaths(r.registry)).toEqual({ decoded: 1 });
  });

  it('decodes an answer naming a topic id it has no virtual one for: the partitions it left out are retried', async () => {
    const r = await rig();
    const stranger = 'AAAAAAAAAAAAAAAAAAAAfw';
    expect(stranger).not.toBe(ORDERS_REAL_ID);
    r.answer.topicId = stranger;
    const { answer } = await produce(r, 13);
    expect(answer.responses.map((t) => t.topicId)).toEqual([r.virtualId]);
    expect(answer.responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([NOT_LEADER_OR_FOLLOWER, NOT_LEADER_OR_FOLLOWER]);
    expect(await producePaths(r.registry)).toEqual({ decoded: 1 });
  });
});
