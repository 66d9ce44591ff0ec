// ApiVersions, answered by Turnout, and the gate on what a client may send: an api outside what
// Turnout offers (its codec, every backend broker, and the apis it answers itself) closes the
// connection, as a client never sends what it was not offered. An offered api in a version
// that is not offered is answered UNSUPPORTED_VERSION where Turnout can make the api's error
// response: a client pinned to an old version (one that never asks ApiVersions, or takes
// Produce v0-2 from the v0 that Kafka 4 and Turnout still advertise) then fails at once instead
// of retrying a closed connection. Other versions close the connection, as a broker does.
import { ApiKey, isSupportedVersion } from '../codec/index.js';
import { apiName } from '../routing/api-names.js';
import type { VersionRange } from '../routing/api-versions.js';
import { buildUnsupportedVersionResponse } from '../routing/failure-responses.js';
import { readProduceAcks } from '../routing/produce-acks.js';
import { FORWARD, type FilterOutcome, type FilterRequest, type FilterSession, type RequestFilter } from './filter.js';

/** What is offered to clients (api-versions.ts ApiVersionsTable). */
export interface OfferedApis {
  /** False until a backend's versions are known: ApiVersions cannot be answered before. */
  readonly isKnown: boolean;
  isSupported(apiKey: number, version: number): boolean;
  range(apiKey: number): VersionRange | undefined;
  /** The ApiVersions response frame for a request of this version. */
  buildResponse(requestVersion: number, correlationId: number): Buffer;
}

export class ApiVersionsFilter implements RequestFilter {
  readonly name = 'api-versions';
  private readonly offered: () => OfferedApis;

  /** `offered` is asked per request: the offer narrows or widens as backends are learned. */
  constructor(offered: () => OfferedApis) {
    this.offered = offered;
  }

  /** ApiVersions, and any request outside the offer: an offered request needs nothing from this filter. */
  wants(apiKey: number, apiVersion: number): boolean {
    return apiKey === ApiKey.ApiVersions || !this.offered().isSupported(apiKey, apiVersion);
  }

  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome {
    const { apiKey, apiVersion } = request;
    const offered = this.offered();
    if (apiKey === ApiKey.ApiVersions) {
      if (!offered.isKnown) return { kind: 'close', reason: 'backend_unknown', message: 'backend api versions not known yet' };
      return { kind: 'answer', response: offered.buildResponse(apiVersion, request.correlationId) };
    }
    if (offered.isSupported(apiKey, apiVersion)) return FORWARD;
    const name = apiName(apiKey);
    if (name === undefined) return { kind: 'close', reason: 'unknown_api_key', message: `unknown api key ${apiKey}` };
    const range = offered.range(apiKey);
    if (range !== undefined) {
      const refusal = unsupportedVersionAnswer(request);
      if (refusal !== null) {
        session.log.info({ apiKey, apiVersion, offered: range }, 'request version not offered: answered UNSUPPORTED_VERSION');
        return { kind: 'answer', response: refusal };
      }
    }
    return {
      kind: 'close',
      reason: 'unsupported_version',
      message: `${name} v${apiVersion} is not offered (${range === undefined ? 'api not offered' : `v${range.minVersion}-${range.maxVersion}`})`,
    };
  }
}

/**
 * The UNSUPPORTED_VERSION answer to a request, when the codec speaks its version and the api
 * has one. A Produce with acks=0 gets none: its client reads no answer, so it is closed on.
 */
function unsupportedVersionAnswer(request: FilterRequest): Buffer | null {
  if (!isSupportedVersion(request.apiKey, request.apiVersion)) return null;
  if (request.apiKey === ApiKey.Produce && readProduceAcks(request.frame, request.apiVersion) === 0) return null;
  return buildUnsupportedVersionResponse(request);
}
