// A client request as filters see it: the frame, and its header and body decoded at most once
// however many filters ask. A filter that replaces the frame makes the next decode start over.
import {
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponseFrame,
  type AnyResponse,
} from '../codec/index.js';
import type { DecodedFilterRequest, FilterRequest } from './filter.js';

const SIZE_BYTES = 4;

export class PipelineRequest implements FilterRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  private current: Buffer;
  private decodedCache: DecodedFilterRequest | null = null;

  constructor(frame: Buffer, apiKey: number, apiVersion: number, correlationId: number) {
    this.current = frame;
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
    this.correlationId = correlationId;
  }

  get frame(): Buffer {
    return this.current;
  }

  /** Takes a filter's replacement frame; the next `decoded()` decodes it. */
  replaceFrame(frame: Buffer): void {
    this.current = frame;
    this.decodedCache = null;
  }

  decoded(): DecodedFilterRequest {
    if (this.decodedCache === null) {
      const header = decodeRequestHeader(this.current.subarray(SIZE_BYTES));
      const body = decodeRequestBody(this.apiKey, this.apiVersion, this.current.subarray(SIZE_BYTES + header.headerSizeBytes));
      this.decodedCache = { header, body };
    }
    return this.decodedCache;
  }

  respond(body: AnyResponse): Buffer {
    return encodeResponseFrame(this.correlationId, this.apiKey, this.apiVersion, body);
  }
}
