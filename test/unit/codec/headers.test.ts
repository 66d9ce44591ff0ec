import { describe, expect, it } from 'vitest';
import {
  ApiKey, DecodeError, decodeRequestBody, decodeRequestHeader, decodeResponseHeader, encodeRequestFrame, encodeRequestHeader,
  encodeResponseFrame, encodeResponseHeader, peekRequestHeader, requestHeaderVersion, responseHeaderVersion, createApiVersionsResponse,
  decodeApiVersionsResponse, Reader, type RequestHeaderPeek, decodeResponseBody, encodeResponseBody,
} from '../../../src/codec/index.js';

describe('header versions', () => {
  it('follows flexible versions, with the ApiVersions and ControlledShutdown exceptions', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(ApiKey.SaslHandshake, 1)).toBe(1);
    expect(requestHeaderVersion(9999, 0)).toBe(-1);
  });
});

describe('request headers', () => {
  it('round-trips v1 and v2 headers and reports where the body starts', () => {
    for (const [apiKey, apiVersion, clientId] of [[ApiKey.Metadata, 4, 'app'], [ApiKey.Metadata, 12, null], [ApiKey.Produce, 9, 'é']] as const) {
      const h = { apiKey, apiVersion, correlationId: 77, clientId };
      const bytes = Buffer.concat([encodeRequestHeader(h), Buffer.from([0xaa])]);
      const d = decodeRequestHeader(bytes);
      expect(d).toMatchObject(h);
      expect(d.headerSizeBytes).toBe(bytes.length - 1);
      expect(bytes[d.headerSizeBytes]).toBe(0xaa);
    }
  });

  it('keeps unknown tagged fields of a v2 header byte for byte', () => {
    const h = { apiKey: ApiKey.Fetch, apiVersion: 15, correlationId: 1, clientId: 'c', unknownTaggedFields: [{ tag: 3, data: Buffer.from([1, 2]) }] };
    const bytes = encodeRequestHeader(h);
    const d = decodeRequestHeader(bytes);
    expect(d.unknownTaggedFields).toEqual(h.unknownTaggedFields);
    expect(encodeRequestHeader(d).equals(bytes)).toBe(true);
  });

  it('peeks api key, version and correlation id without decoding the rest', () => {
    const frame = encodeRequestHeader({ apiKey: 1, apiVersion: 13, correlationId: -5, clientId: 'x' });
    const out: RequestHeaderPeek = { apiKey: 0, apiVersion: 0, correlationId: 0 };
    expect(peekRequestHeader(frame, out)).toBe(out);
    expect(out).toEqual({ apiKey: 1, apiVersion: 13, correlationId: -5 });
    expect(peekRequestHeader(frame.subarray(0, 7))).toBeUndefined();
  });

  it('rejects truncated headers and unknown api keys with DecodeError', () => {
    const frame = encodeRequestHeader({ apiKey: 3, apiVersion: 12, correlationId: 1, clientId: 'client' });
    for (let cut = 0; cut < frame.length; cut++) expect(() => decodeRequestHeader(frame.subarray(0, cut))).toThrow(DecodeError);
    const unknown = Buffer.from(frame);
    unknown.writeInt16BE(4242, 0);
    expect(() => decodeRequestHeader(unknown)).toThrow(DecodeError);
  });

  it('a whole frame carries its size, header and body', () => {
    const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 9, clientId: 'c' }, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true });
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const h = decodeRequestHeader(frame.subarray(4));
    const body = decodeRequestBody(ApiKey.Metadata, 12, frame.subarray(4 + h.headerSizeBytes));
    expect(body.topics).toBeNull();
    expect(body.includeTopicAuthorizedOperations).toBe(true);
  });
});

describe('response headers', () => {
  it('round-trips v0 and v1', () => {
    const v0 = encodeResponseHeader({ correlationId: 12 }, 0);
    expect(v0.length).toBe(4);
    expect(decodeResponseHeader(v0, 0)).toEqual({ correlationId: 12, headerSizeBytes: 4 });
    const v1 = encodeResponseHeader({ correlationId: 12, unknownTaggedFields: [{ tag: 0, data: Buffer.from('x') }] }, 1);
    const d = decodeResponseHeader(v1, 1);
    expect(d.headerSizeBytes).toBe(v1.length);
    expect(encodeResponseHeader(d, 1).equals(v1)).toBe(true);
    expect(() => decodeResponseHeader(Buffer.alloc(2), 0)).toThrow(DecodeError);
  });

  it('an ApiVersions answer in v0 to a newer request decodes, as Kafka clients fall back', () => {
    const v0 = encodeResponseBody(ApiKey.ApiVersions, 0, { ...createApiVersionsResponse(), errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] });
    const decoded = decodeResponseBody(ApiKey.ApiVersions, 4, v0);
    expect(decoded.errorCode).toBe(35);
    expect(decoded.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    expect(() => decodeResponseBody(ApiKey.ApiVersions, 4, Buffer.from([1]))).toThrow(DecodeError);
  });

  it('ApiVersions responses use header v0 even in flexible versions', () => {
    const resp = createApiVersionsResponse();
    resp.apiKeys = [{ apiKey: 0, minVersion: 0, maxVersion: 11 }];
    const frame = encodeResponseFrame(5, ApiKey.ApiVersions, 3, resp);
    expect(frame.readInt32BE(4)).toBe(5);
    const decoded = decodeApiVersionsResponse(new Reader(frame, 8), 3);
    expect(decoded.apiKeys).toEqual(resp.apiKeys);
  });
});
