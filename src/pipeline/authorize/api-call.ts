// One request on its way through the ACL filter, typed by its api: the decoded header and
// version, the authorization questions (`authz`), and the outcomes a per-api rule returns,
// built from decoded bodies. The encoding and decoding of frames for those outcomes lives here
// once, so a rule only says what is allowed, what the denied part is answered with, and how
// the answers merge.
import {
  apiCodec,
  encodeRequestFrame,
  type AnyRequest,
  type AnyResponse,
  type DecodedRequestHeader,
  type RequestByApiKey,
  type ResponseByApiKey,
} from '../../codec/index.js';
import { decodeResponseFrame } from '../../codec/message-frames.js';
import { fitResponseToVersion } from '../../codec/version-fit.js';
import type { CloseAfter, FilterOutcome, FilterRequest } from '../filter.js';
import type { RequestAuthorization } from './request-authorization.js';

export type ApiKeyNumber = keyof RequestByApiKey & keyof ResponseByApiKey;
export type RequestOf<K extends ApiKeyNumber> = RequestByApiKey[K];
export type ResponseOf<K extends ApiKeyNumber> = ResponseByApiKey[K];

/** A request split into its allowed part and its denied part, with how the answers come together. */
export interface SplitAnswer<K extends ApiKeyNumber> {
  /** The request with only its allowed part, or null when nothing in it is allowed. */
  readonly allowed: RequestOf<K> | null;
  /** The whole answer when nothing is allowed: every denied part with its error. */
  answerAll(): ResponseOf<K>;
  /** The answer to the allowed part with the denied parts merged in, in the client's order. */
  merge(response: ResponseOf<K>): ResponseOf<K>;
  /** For a request that gets no answer (Produce acks=0): close once the allowed part is sent. */
  readonly closeIfNoResponse?: CloseAfter;
}

export class ApiCall<K extends ApiKeyNumber> {
  readonly apiKey: K;
  readonly version: number;
  readonly header: DecodedRequestHeader;
  readonly authz: RequestAuthorization;
  private readonly request: FilterRequest;

  constructor(apiKey: K, header: DecodedRequestHeader, authz: RequestAuthorization, request: FilterRequest) {
    this.apiKey = apiKey;
    this.version = header.apiVersion;
    this.header = header;
    this.authz = authz;
    this.request = request;
  }

  /** Answers the whole request here; nothing is forwarded. */
  answer(body: ResponseOf<K>): FilterOutcome {
    return { kind: 'answer', response: this.respond(body) };
  }

  /** Forwards the request: as it came, or replaced by `body`; `onResponse` rewrites the answer on its way back. */
  forward(body?: RequestOf<K>, onResponse?: (response: ResponseOf<K>) => ResponseOf<K>): FilterOutcome {
    const request = body === undefined ? undefined : this.encodeRequest(body);
    if (onResponse === undefined) return request === undefined ? { kind: 'forward' } : { kind: 'forward', request };
    const rewrite = (frame: Buffer): Buffer => this.respond(onResponse(this.decodeResponse(frame)));
    return request === undefined ? { kind: 'forward', onResponse: rewrite } : { kind: 'forward', request, onResponse: rewrite };
  }

  /** Denies part of the request: the allowed part is forwarded and the answers merged. */
  deny(split: SplitAnswer<K>): FilterOutcome {
    const allowed = split.allowed === null ? null : this.encodeRequest(split.allowed);
    const denial = {
      allowed,
      answerAll: (): Buffer => this.respond(split.answerAll()),
      merge: (frame: Buffer): Buffer => this.respond(split.merge(this.decodeResponse(frame))),
    };
    const outcome: FilterOutcome = {
      kind: 'deny',
      denial: split.closeIfNoResponse === undefined ? denial : { ...denial, closeIfNoResponse: split.closeIfNoResponse },
    };
    return outcome;
  }

  /**
   * Forwards the request unchanged when `split` is null (nothing denied), else denies its
   * denied part; `onResponse`, when given, rewrites the backend's answer (after the merge).
   */
  forwardOrDeny(split: SplitAnswer<K> | null, onResponse?: (response: ResponseOf<K>) => ResponseOf<K>): FilterOutcome {
    if (split === null) return this.forward(undefined, onResponse);
    if (onResponse === undefined) return this.deny(split);
    return this.deny({ ...split, merge: (response) => split.merge(onResponse(response)) });
  }

  /** Closes the client connection, as a broker does for a request it cannot answer. */
  close(reason: string, message: string): FilterOutcome {
    return { kind: 'close', reason, message };
  }

  /** Answers built here fill every field for every version; those the version lacks go back to their defaults. */
  private respond(body: ResponseOf<K>): Buffer {
    return this.request.respond(fitResponseToVersion(this.apiKey, this.version, body) as AnyResponse);
  }

  private encodeRequest(body: RequestOf<K>): Buffer {
    return encodeRequestFrame(this.header, body as AnyRequest);
  }

  private decodeResponse(frame: Buffer): ResponseOf<K> {
    const codec = apiCodec(this.apiKey)!;
    return decodeResponseFrame(frame, this.apiKey, this.version, codec.decodeResponse).body as ResponseOf<K>;
  }
}
