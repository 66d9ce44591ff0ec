// A client request as filters see it: the frame, and its header and body decoded at most once
// however many filters ask. A filter that replaces the frame makes the next decode start over.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
import {
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponseFrame,
  type AnyResponse,
} from '../codec/index.js';
import type { RequestExchange } from '../net/request-router.js';
import type { DecodedFilterRequest, FilterRequest } from './filter.js';

const SIZE_BYTES = 4;

/** Where a request's bytes are read from: its exchange, whose frame may be joined only when asked for. */
type RequestBytes = Pick<RequestExchange, 'frame' | 'head'>;

export class PipelineRequest implements FilterRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  private readonly source: RequestBytes | null;
  /** The frame once read (or replaced); null while only `head` has been. */
  private current: Buffer | null;
  private decodedCache: DecodedFilterRequest | null = null;

  constructor(frame: Buffer | RequestBytes, apiKey: number, apiVersion: number, correlationId: number) {
    if (Buffer.isBuffer(frame)) {
      this.source = null;
      this.current = frame;
    } else {
      this.source = frame;
      this.current = null;
    }
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
    this.correlationId = correlationId;
  }

  get frame(): Buffer {
    this.current ??= (this.source as RequestBytes).frame;
    return this.current;
  }

  get head(): Buffer {
    if (this.current !== null) return this.current;
    const source = this.source as RequestBytes;
    return source.head ?? this.frame;
  }

  /** Takes a filter's replacement frame; the next `decoded()` decodes it. */
  replaceFrame(frame: Buffer): void {
    this.current = frame;
    this.decodedCache = null;
  }

  decoded(): DecodedFilterRequest {
    if (this.decodedCache === null) {
      const frame = this.frame;
      const header = decodeRequestHeader(frame.subarray(SIZE_BYTES));
      const body = decodeRequestBody(this.apiKey, this.apiVersion, frame.subarray(SIZE_BYTES + header.headerSizeBytes));
      this.decodedCache = { header, body };
    }
    return this.decodedCache;
  }

  respond(body: AnyResponse): Buffer {
    return encodeResponseFrame(this.correlationId, this.apiKey, this.apiVersion, body);
  }
}
