import { describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, encodeRequestFrame } from '../../../src/codec/index.js';
import { RequestRejectedError } from '../../../src/net/request-router.js';
import { exchangeFor, makeRouter } from './router-fixture.js';

function frameFor(apiKey: number, version: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeInt32BE(10, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(version, 6);
  b.writeInt32BE(42, 8);
  b.writeInt16BE(-1, 12);
  return b;
}

describe('request routing through the pipeline', () => {
  it('answers ApiVersions locally', () => {
    const { pipeline: router, session } = makeRouter();
    const ex = exchangeFor(ApiKey.ApiVersions, 3, frameFor(ApiKey.ApiVersions, 3));
    router.routeRequest(session, ex);
    expect(ex.response).not.toBeNull();
    expect(ex.response?.readInt32BE(4)).toBe(42);
  });

  it('forwards a node connection to the broker behind its virtual node', () => {
    const { router, session } = makeRouter();
    const m = createMetadataRequest();
    const ex = exchangeFor(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: 3, apiVersion: 12, correlationId: 42, clientId: 'c' }, m));
    router.routeRequest({ ...session, virtualNodeId: 2 }, ex);
    expect(ex.response).toBeNull();
    expect(ex.targetBrokerId).toBe(103);
  });

  it('sends a bootstrap connection to some live broker and sticks to it', () => {
    const { router, session } = makeRouter();
    const s = { ...session, virtualNodeId: -1 };
    const ex = exchangeFor(ApiKey.Metadata, 12, frameFor(ApiKey.Metadata, 12));
    router.routeRequest(s, ex);
    expect(ex.targetBrokerId).toBe(101);
    expect(s.anyBrokerId).toBe(101);
  });

  it('rejects an unknown api key', () => {
    const { pipeline: router, session } = makeRouter();
    expect(() => router.routeRequest(session, exchangeFor(9999, 0, frameFor(9999, 0)))).toThrow(
      expect.objectContaining({ reason: 'unknown_api_key' }) as unknown as Error,
    );
  });

  it('rejects a version outside the offered range', () => {
    const { pipeline: router, session } = makeRouter();
    let err: unknown;
    try {
      router.routeRequest(session, exchangeFor(ApiKey.Metadata, 99, frameFor(ApiKey.Metadata, 99)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestRejectedError);
    expect((err as RequestRejectedError).reason).toBe('unsupported_version');
  });

  it('rejects an undecodable request it must decode', () => {
    const { pipeline: router, session } = makeRouter();
    expect(() => router.routeRequest(session, exchangeFor(ApiKey.Produce, 9, frameFor(ApiKey.Produce, 9)))).toThrow(RequestRejectedError);
  });

  it('expects no response to a produce with acks=0', () => {
    const { pipeline: router, session } = makeRouter();
    const b = Buffer.alloc(4 + 8 + 2 + 1 + 1 + 2 + 4 + 1 + 1);
    let p = 0;
    p = b.writeInt32BE(b.length - 4, p);
    p = b.writeInt16BE(0, p);
    p = b.writeInt16BE(9, p);
    p = b.writeInt32BE(42, p);
    p = b.writeInt16BE(-1, p); // client id null
    p = b.writeUInt8(0, p); // header tagged fields
    p = b.writeUInt8(0, p); // transactional id null
    p = b.writeInt16BE(0, p); // acks
    const ex = exchangeFor(ApiKey.Produce, 9, b);
    router.routeRequest(session, ex);
    expect(ex.expectResponse).toBe(false);
  });
});
