import { describe, expect, it } from 'vitest';
import { ApiKey, createFetchResponse, createProduceResponse } from '../../../src/codec/index.js';
import { BACKEND_HOST, NODE_PORT_BASE, TURNOUT_HOST, decodeResponse, exchangeFor, expectNoBackendLeak, makeRouter, responseFrame } from './router-fixture.js';

const records = Buffer.from('opaque record batch bytes, never parsed');

function fetchResponse(opts: { leader?: number; preferred?: number; endpoints?: boolean }) {
  const m = createFetchResponse();
  m.responses = [
    {
      topic: '',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      partitions: [
        {
          partitionIndex: 0,
          errorCode: opts.leader === undefined ? 0 : 6,
          highWatermark: 10n,
          lastStableOffset: 10n,
          logStartOffset: 0n,
          abortedTransactions: null,
          preferredReadReplica: opts.preferred ?? -1,
          records,
          ...(opts.leader === undefined ? {} : { currentLeader: { leaderId: opts.leader, leaderEpoch: 7 } }),
        },
      ],
    },
  ];
  if (opts.endpoints) m.nodeEndpoints = [{ nodeId: 102, host: BACKEND_HOST, port: 9102, rack: 'az-b' }];
  return m;
}

describe('node endpoints rewrite', () => {
  it('forwards a Fetch v16 response that names no broker as the very same bytes', () => {
    const { router, session } = makeRouter();
    const frame = responseFrame(ApiKey.Fetch, 16, fetchResponse({}));
    expect(router.rewriteResponse(session, exchangeFor(ApiKey.Fetch, 16), frame)).toBe(frame);
  });

  it('rewrites CurrentLeader and NodeEndpoints of Fetch v16, keeping the records', () => {
    const { router, session } = makeRouter();
    const frame = responseFrame(ApiKey.Fetch, 16, fetchResponse({ leader: 102, endpoints: true }));
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.Fetch, 16), frame);
    const d = decodeResponse(ApiKey.Fetch, 16, out) as any;
    expectNoBackendLeak(out, d);
    const p = d.responses[0].partitions[0];
    expect(p.currentLeader).toEqual({ leaderId: 1, leaderEpoch: 7 });
    expect(Buffer.compare(p.records, records)).toBe(0);
    expect(d.nodeEndpoints).toEqual([{ nodeId: 1, host: TURNOUT_HOST, port: NODE_PORT_BASE + 1, rack: 'az-b' }]);
  });

  it('rewrites the preferred read replica of Fetch v11', () => {
    const { router, session } = makeRouter();
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.Fetch, 11), responseFrame(ApiKey.Fetch, 11, fetchResponse({ preferred: 103 })));
    const d = decodeResponse(ApiKey.Fetch, 11, out) as any;
    expectNoBackendLeak(out, d);
    expect(d.responses[0].partitions[0].preferredReadReplica).toBe(2);
  });

  it('does not decode Fetch below v11', () => {
    const { router, session } = makeRouter();
    const frame = Buffer.from([0, 0, 0, 5, 0, 0, 0, 42, 99]); // not even a valid body
    expect(router.rewriteResponse(session, exchangeFor(ApiKey.Fetch, 10), frame)).toBe(frame);
  });

  it('rewrites CurrentLeader and NodeEndpoints of Produce v10+', () => {
    for (const version of [10, 11, 12]) {
      const { router, session } = makeRouter();
      const m = createProduceResponse();
      m.responses = [
        {
          name: 'orders',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
          partitionResponses: [
            {
              index: 0,
              errorCode: 6,
              baseOffset: -1n,
              logAppendTimeMs: -1n,
              logStartOffset: -1n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: 103, leaderEpoch: 4 },
            },
          ],
        },
      ];
      m.nodeEndpoints = [{ nodeId: 103, host: BACKEND_HOST, port: 9103, rack: null }];
      const out = router.rewriteResponse(session, exchangeFor(ApiKey.Produce, version), responseFrame(ApiKey.Produce, version, m));
      const d = decodeResponse(ApiKey.Produce, version, out) as any;
      expectNoBackendLeak(out, d);
      expect(d.responses[0].partitionResponses[0].currentLeader).toEqual({ leaderId: 2, leaderEpoch: 4 });
      expect(d.nodeEndpoints[0]).toMatchObject({ nodeId: 2, host: TURNOUT_HOST, port: NODE_PORT_BASE + 2 });
    }
  });

  it('forwards a successful Produce v11 response untouched', () => {
    const { router, session } = makeRouter();
    const m = createProduceResponse();
    m.responses = [
      {
        name: 'orders',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitionResponses: [
          { index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null },
        ],
      },
    ];
    const frame = responseFrame(ApiKey.Produce, 11, m);
    expect(router.rewriteResponse(session, exchangeFor(ApiKey.Produce, 11), frame)).toBe(frame);
  });
});
