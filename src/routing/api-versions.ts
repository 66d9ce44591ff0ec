// ApiVersions is answered by Turnout itself. The versions offered are, per api key, the
// intersection of what Turnout's codec supports and what every backend broker accepts (what
// it advertises, less the versions a Kafka 4 broker removed but still advertises), less the
// apis clients have no business sending through a proxy (broker-to-broker and controller
// apis), with the features every backend shares. A request for an api or version outside
// that set is refused.
//
// The answer to ApiVersions lists those ranges, except that it keeps a minimum every broker
// advertises below what they accept: Kafka 4 advertises Produce from v0 although it refuses
// v0-2, because librdkafka releases before the fix of KAFKA-18659 (Debian 12's 2.0.2 among
// them) silently stop compressing with gzip, snappy and lz4 against a Produce minimum above 0.
// Turnout advertises what Kafka advertises, and answers a refused version UNSUPPORTED_VERSION.
import { APIS, ApiKey } from '../codec/generated/apis.js';
import {
  type ApiVersionsResponse,
  createApiVersionsResponse,
  encodeApiVersionsResponse,
} from '../codec/generated/api-versions.js';
import { encodeResponseFrame } from '../codec/message-frames.js';
import { acceptedRange, removedKafka4Versions } from './kafka4-removed-versions.js';
import { SharedFeatures, type BrokerFeatures } from './shared-features.js';

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

/** What one broker said in its ApiVersions response. */
export interface BrokerApiVersions extends BrokerFeatures {
  apis: Map<number, VersionRange>;
}

/**
 * Apis that brokers may advertise but that only brokers and controllers send to each other,
 * or that would hand a client controller addresses. Never offered to clients.
 */
export const NOT_FOR_CLIENTS: ReadonlySet<number> = new Set<number>([
  ApiKey.LeaderAndIsr,
  ApiKey.StopReplica,
  ApiKey.UpdateMetadata,
  ApiKey.ControlledShutdown,
  ApiKey.WriteTxnMarkers,
  ApiKey.Vote,
  ApiKey.BeginQuorumEpoch,
  ApiKey.EndQuorumEpoch,
  ApiKey.AlterPartition,
  ApiKey.Envelope,
  ApiKey.FetchSnapshot,
  ApiKey.BrokerRegistration,
  ApiKey.BrokerHeartbeat,
  ApiKey.AllocateProducerIds,
  ApiKey.ControllerRegistration,
  ApiKey.AssignReplicasToDirs,
  ApiKey.AddRaftVoter,
  ApiKey.RemoveRaftVoter,
  ApiKey.UpdateRaftVoter,
  ApiKey.InitializeShareGroupState,
  ApiKey.ReadShareGroupState,
  ApiKey.WriteShareGroupState,
  ApiKey.DeleteShareGroupState,
  ApiKey.ReadShareGroupStateSummary,
]);

const UNSUPPORTED_VERSION = 35;

/** The versions of ApiVersions itself that Turnout answers (the codec's range). */
const API_VERSIONS_RANGE: VersionRange = (() => {
  const info = APIS.find((a) => a.apiKey === ApiKey.ApiVersions);
  if (info === undefined) throw new Error('codec has no ApiVersions');
  return { minVersion: info.minVersion, maxVersion: info.maxVersion };
})();

export class ApiVersionsTable {
  private ranges: (VersionRange | undefined)[] = [];
  private response: ApiVersionsResponse | null = null;
  /** Apis Turnout answers itself (SASL, ACLs), offered whatever the brokers say. */
  private localApis: ReadonlyMap<number, VersionRange> = new Map();
  private lastBrokers: BrokerApiVersions[] = [];
  private readonly features = new SharedFeatures();

  /** Offers apis that Turnout answers itself, at the given versions, from now on (added to those offered before). */
  offerLocalApis(apis: ReadonlyMap<number, VersionRange>): void {
    this.localApis = new Map([...this.localApis, ...apis]);
    if (this.lastBrokers.length > 0) this.update(this.lastBrokers);
  }

  /** True once computed from at least one broker. */
  get isKnown(): boolean {
    return this.response !== null;
  }

  /** Recomputes the offered versions from what every backend broker accepts. */
  update(brokers: BrokerApiVersions[]): void {
    if (brokers.length === 0) return;
    this.lastBrokers = brokers;
    const removed = brokers.map(removedKafka4Versions);
    const ranges: (VersionRange | undefined)[] = [];
    /** Per api, the minimum advertised by every broker where it is below the accepted one. */
    const advertisedMins: (number | undefined)[] = [];
    for (const api of APIS) {
      if (NOT_FOR_CLIENTS.has(api.apiKey)) continue;
      let min = api.minVersion;
      let max = api.maxVersion;
      let advertisedMin = api.minVersion;
      for (const [i, b] of brokers.entries()) {
        const r = acceptedRange(b, api.apiKey, removed[i]);
        if (r === undefined) {
          min = 1;
          max = 0;
          break;
        }
        min = Math.max(min, r.minVersion);
        max = Math.min(max, r.maxVersion);
        advertisedMin = Math.max(advertisedMin, (b.apis.get(api.apiKey) as VersionRange).minVersion);
      }
      if (min <= max) {
        ranges[api.apiKey] = { minVersion: min, maxVersion: max };
        if (advertisedMin < min) advertisedMins[api.apiKey] = advertisedMin;
      }
    }
    if (ranges[ApiKey.ApiVersions] === undefined) ranges[ApiKey.ApiVersions] = { ...API_VERSIONS_RANGE };
    for (const [apiKey, range] of this.localApis) {
      ranges[apiKey] = { ...range };
      advertisedMins[apiKey] = undefined;
    }
    this.ranges = ranges;

    const m = createApiVersionsResponse();
    m.errorCode = 0;
    m.apiKeys = [];
    for (let k = 0; k < ranges.length; k++) {
      const r = ranges[k];
      if (r !== undefined) m.apiKeys.push({ apiKey: k, minVersion: advertisedMins[k] ?? r.minVersion, maxVersion: r.maxVersion });
    }
    m.throttleTimeMs = 0;
    const features = this.features.update(brokers);
    m.supportedFeatures = features.supportedFeatures;
    m.finalizedFeaturesEpoch = features.finalizedFeaturesEpoch;
    m.finalizedFeatures = features.finalizedFeatures;
    this.response = m;
  }

  /** The offered range of an api key, or undefined when it is not offered. */
  range(apiKey: number): VersionRange | undefined {
    return apiKey >= 0 ? this.ranges[apiKey] : undefined;
  }

  isSupported(apiKey: number, version: number): boolean {
    const r = apiKey >= 0 ? this.ranges[apiKey] : undefined;
    return r !== undefined && version >= r.minVersion && version <= r.maxVersion;
  }

  /**
   * The ApiVersions response frame for a request of `requestVersion`. A version Turnout does
   * not know gets what brokers send: a v0 response with UNSUPPORTED_VERSION and the api list,
   * from which the client picks a version both sides speak.
   */
  buildResponse(requestVersion: number, correlationId: number): Buffer {
    const m = this.response;
    if (m === null) throw new Error('api versions not known yet');
    if (requestVersion > API_VERSIONS_RANGE.maxVersion || requestVersion < API_VERSIONS_RANGE.minVersion) {
      const v0: ApiVersionsResponse = { errorCode: UNSUPPORTED_VERSION, apiKeys: m.apiKeys, throttleTimeMs: 0 };
      return encodeResponseFrame(ApiKey.ApiVersions, 0, { correlationId }, v0, encodeApiVersionsResponse);
    }
    if (requestVersion < 3) {
      const old: ApiVersionsResponse = { errorCode: 0, apiKeys: m.apiKeys, throttleTimeMs: 0 };
      return encodeResponseFrame(ApiKey.ApiVersions, requestVersion, { correlationId }, old, encodeApiVersionsResponse);
    }
    return encodeResponseFrame(ApiKey.ApiVersions, requestVersion, { correlationId }, m, encodeApiVersionsResponse);
  }
}
