import { describe, expect, it } from 'vitest';
import { ApiKey, createFindCoordinatorResponse } from '../../../src/codec/index.js';
import { BACKEND_HOST, NODE_PORT_BASE, TURNOUT_HOST, decodeResponse, exchangeFor, expectNoBackendLeak, makeRouter, responseFrame } from './router-fixture.js';

describe('find coordinator rewrite', () => {
  for (const version of [0, 1, 2, 3]) {
    it(`rewrites the single coordinator of FindCoordinator v${version}`, () => {
      const { router, session } = makeRouter();
      const m = createFindCoordinatorResponse();
      m.errorMessage = version >= 1 ? null : '';
      m.nodeId = 103;
      m.host = BACKEND_HOST;
      m.port = 9103;
      const out = router.rewriteResponse(session, exchangeFor(ApiKey.FindCoordinator, version), responseFrame(ApiKey.FindCoordinator, version, m));
      const d = decodeResponse(ApiKey.FindCoordinator, version, out);
      expectNoBackendLeak(out, d);
      expect(d).toMatchObject({ nodeId: 2, host: TURNOUT_HOST, port: NODE_PORT_BASE + 2 });
    });
  }

  for (const version of [4, 5, 6]) {
    it(`rewrites every batched coordinator of FindCoordinator v${version}`, () => {
      const { router, session } = makeRouter();
      const m = createFindCoordinatorResponse();
      m.coordinators = [
        { key: 'group-a', nodeId: 101, host: BACKEND_HOST, port: 9101, errorCode: 0, errorMessage: null },
        { key: 'group-b', nodeId: 102, host: BACKEND_HOST, port: 9102, errorCode: 0, errorMessage: null },
        { key: 'group-c', nodeId: -1, host: '', port: -1, errorCode: 15, errorMessage: 'not available' },
      ];
      const out = router.rewriteResponse(session, exchangeFor(ApiKey.FindCoordinator, version), responseFrame(ApiKey.FindCoordinator, version, m));
      const d = decodeResponse(ApiKey.FindCoordinator, version, out) as any;
      expectNoBackendLeak(out, d);
      expect(d.coordinators).toEqual([
        { key: 'group-a', nodeId: 0, host: TURNOUT_HOST, port: NODE_PORT_BASE, errorCode: 0, errorMessage: null },
        { key: 'group-b', nodeId: 1, host: TURNOUT_HOST, port: NODE_PORT_BASE + 1, errorCode: 0, errorMessage: null },
        { key: 'group-c', nodeId: -1, host: '', port: -1, errorCode: 15, errorMessage: 'not available' },
      ]);
    });
  }

  it('answers COORDINATOR_NOT_AVAILABLE when the coordinator has no bound node port yet', () => {
    const { router, session } = makeRouter();
    const m = createFindCoordinatorResponse();
    m.coordinators = [{ key: 'g', nodeId: 109, host: BACKEND_HOST, port: 9109, errorCode: 0, errorMessage: null }];
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.FindCoordinator, 4), responseFrame(ApiKey.FindCoordinator, 4, m));
    const d = decodeResponse(ApiKey.FindCoordinator, 4, out) as any;
    expect(d.coordinators[0]).toMatchObject({ errorCode: 15, nodeId: -1, host: '', port: -1 });
  });
});
