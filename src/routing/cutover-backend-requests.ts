// The requests a cutover sends to the backend clusters on its own behalf (CutoverBackends,
// src/policy/cutover-backends.ts), over Turnout's own session (own-session.ts), each at the
// highest version both the codec and every broker of the backend accept:
//   Metadata          a backend's topics and their partitions' leaders and leader epochs
//   DescribeConfigs   topic configs preflight compares
//   ListOffsets       where partitions end: replica id −2 (the debugging replica id, which a
//                     broker answers from the log's end, with no isolation level) for the log end
//                     offset; −1 with READ_UNCOMMITTED for the high watermark and with
//                     READ_COMMITTED for the last stable offset. Sent to each partition's leader
//                     with the leader epoch from Metadata (a broker serves the debugging replica id
//                     from a follower too: the epoch makes a stale leader answer an error)
//   ListTransactions, DescribeTransactions
//                     open transactions, on every broker (each lists those it coordinates)
//   FindCoordinator, InitProducerId
//                     aborts a transactional id's open transaction: the coordinator bumps the
//                     producer epoch, aborting what was open
//   ListGroups, OffsetFetch
//                     committed offsets of groups (before a segment is retired, and when a
//                     domain's groups move to its backend)
//   DescribeGroups    a moving group's members on its old coordinator
//   OffsetCommit      a moving group's committed offsets written on its new coordinator, as an
//                     admin writes them (generation −1, no member)
// Errors a retry may get past (a leader moving, a coordinator loading) are retried for a while.
import {
  ApiKey,
  ZERO_UUID,
  decodeDescribeConfigsResponse,
  decodeDescribeTransactionsResponse,
  decodeFindCoordinatorResponse,
  decodeInitProducerIdResponse,
  decodeListGroupsResponse,
  decodeListOffsetsResponse,
  decodeListTransactionsResponse,
  decodeMetadataResponse,
  decodeOffsetFetchResponse,
  encodeDescribeConfigsRequest,
  encodeDescribeTransactionsRequest,
  encodeFindCoordinatorRequest,
  encodeInitProducerIdRequest,
  encodeListGroupsRequest,
  encodeListOffsetsRequest,
  encodeListTransactionsRequest,
  encodeMetadataRequest,
  encodeOffsetFetchRequest,
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
} from '../codec/index.js';
import type { GroupOffset, GroupOffsetBackends } from '../policy/group-offset-backends.js';
import { apiInfo } from '../codec/generated/apis.js';
import { decodeResponseFrame, encodeRequestFrame, type BodyDecoder, type BodyEncoder } from '../codec/message-frames.js';
import type { BrokerAddress, ClientSession } from '../net/request-router.js';
import {
  CutoverBackendError,
  partitionKey,
  type CommittedOffset,
  type CutoverBackends,
  type EndOffsetKind,
  type TopicLayouts,
} from '../policy/cutover-backends.js';
import type { TopologyView } from './backend-topology.js';
import { COORDINATOR_LOAD_IN_PROGRESS, FENCED_LEADER_EPOCH, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, UNKNOWN_LEADER_EPOCH } from './error-codes.js';
import { COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR } from './failure-responses.js';
import { CONFIG_RESOURCE_TOPIC, KEY_TYPE_GROUP, KEY_TYPE_TRANSACTION, TURNOUT_CLIENT_ID } from './multi/multi-codes.js';
import { retryUntil } from './retry-until.js';

const DEBUGGING_REPLICA_ID = -2;
const CONSUMER_REPLICA_ID = -1;
const LATEST_TIMESTAMP = -1n;
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;
const CONCURRENT_TRANSACTIONS = 51;
/** A group's offsets committed in a transaction whose markers are not written yet (OffsetFetch requireStable). */
const UNSTABLE_OFFSET_COMMIT = 88;
/** The transaction timeout of the InitProducerId that aborts a transaction (well under transaction.max.timeout.ms). */
const ABORT_TRANSACTION_TIMEOUT_MS = 60_000;

/** Errors after which the same request, asked again (after a metadata refresh), may succeed. */
const PASSING = new Set([NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, REQUEST_TIMED_OUT, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS, UNSTABLE_OFFSET_COMMIT]);

/** A Kafka error in an answer; retried when `PASSING` has it. */
class BackendErrorCode extends CutoverBackendError {
  readonly errorCode: number;
  constructor(backend: string, what: string, errorCode: number) {
    super(backend, `${what} answered error ${errorCode}`);
    this.errorCode = errorCode;
  }
}

function passing(err: unknown): boolean {
  return err instanceof BackendErrorCode ? PASSING.has(err.errorCode) : !(err instanceof CutoverBackendError);
}

export interface CutoverBackendRequestsOptions {
  topologies: ReadonlyMap<string, TopologyView & { brokers(): ReadonlyMap<number, unknown> }>;
  /** The session Turnout's own requests go over. */
  session: () => ClientSession | null;
  /** How long a request is retried through passing errors, in ms. (default: 10000) */
  retryMs?: number;
}

export class CutoverBackendRequests implements CutoverBackends, GroupOffsetBackends {
  private readonly opts: CutoverBackendRequestsOptions;
  private readonly retryMs: number;

  constructor(opts: CutoverBackendRequestsOptions) {
    this.opts = opts;
    this.retryMs = opts.retryMs ?? 10_000;
  }

  reachable(backend: string): boolean {
    const t = this.opts.topologies.get(backend);
    return t !== undefined && t.anyBrokerId() >= 0;
  }

  async topics(backend: string, names: readonly string[] | null): Promise<TopicLayouts> {
    return this.retried(backend, async () => {
      const answer = await this.ask(backend, this.anyBroker(backend), ApiKey.Metadata, 12, {
        topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }, encodeMetadataRequest, decodeMetadataResponse);
      const out: TopicLayouts = new Map();
      for (const t of answer.topics) {
        if (t.name === null || t.isInternal || t.errorCode === 3) continue;
        if (t.errorCode !== 0) throw new BackendErrorCode(backend, `Metadata of ${t.name}`, t.errorCode);
        const partitions = t.partitions.map((p) => ({ index: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })).sort((a, b) => a.index - b.index);
        if (partitions.some((p) => p.leaderId < 0)) throw new BackendErrorCode(backend, `Metadata of ${t.name}`, LEADER_NOT_AVAILABLE);
        out.set(t.name, partitions);
      }
      return out;
    });
  }

  async configs(backend: string, topics: readonly string[], names: readonly string[]): Promise<Map<string, Map<string, string | null>>> {
    if (topics.length === 0) return new Map();
    return this.retried(backend, async () => {
      const answer = await this.ask(backend, this.anyBroker(backend), ApiKey.DescribeConfigs, 4, {
        resources: topics.map((t) => ({ resourceType: CONFIG_RESOURCE_TOPIC, resourceName: t, configurationKeys: [...names] })),
        includeSynonyms: false,
        includeDocumentation: false,
      }, encodeDescribeConfigsRequest, decodeDescribeConfigsResponse);
      const out = new Map<string, Map<string, string | null>>();
      for (const r of answer.results) {
        if (r.errorCode !== 0) throw new BackendErrorCode(backend, `DescribeConfigs of ${r.resourceName}`, r.errorCode);
        out.set(r.resourceName, new Map(r.configs.map((c) => [c.name, c.value])));
      }
      return out;
    });
  }

  async endOffsets(backend: string, layouts: TopicLayouts, kind: EndOffsetKind): Promise<Map<string, bigint>> {
    const byLeader = new Map<number, Array<{ topic: string; index: number; leaderEpoch: number }>>();
    for (const [topic, partitions] of layouts) {
      for (const p of partitions) {
        let list = byLeader.get(p.leaderId);
        if (list === undefined) byLeader.set(p.leaderId, (list = []));
        list.push({ topic, index: p.index, leaderEpoch: p.leaderEpoch });
      }
    }
    const out = new Map<string, bigint>();
    await Promise.all(
      [...byLeader].map(async ([leaderId, partitions]) => {
        const topics = new Map<string, Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint; maxNumOffsets: number }>>();
        for (const p of partitions) {
          let list = topics.get(p.topic);
          if (list === undefined) topics.set(p.topic, (list = []));
          list.push({ partitionIndex: p.index, currentLeaderEpoch: p.leaderEpoch, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 });
        }
        const answer = await this.ask(backend, this.broker(backend, leaderId), ApiKey.ListOffsets, 10, {
          replicaId: kind === 'log-end' ? DEBUGGING_REPLICA_ID : CONSUMER_REPLICA_ID,
          isolationLevel: kind === 'last-stable' ? READ_COMMITTED : READ_UNCOMMITTED,
          topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
          timeoutMs: 10_000,
        }, encodeListOffsetsRequest, decodeListOffsetsResponse);
        for (const t of answer.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new BackendErrorCode(backend, `ListOffsets (${kind}) of ${t.name}-${p.partitionIndex} at broker ${leaderId}`, p.errorCode);
            out.set(partitionKey(t.name, p.partitionIndex), p.offset);
          }
        }
      }),
    );
    for (const [topic, partitions] of layouts) {
      for (const p of partitions) if (!out.has(partitionKey(topic, p.index))) throw new CutoverBackendError(backend, `ListOffsets answered nothing for ${topic}-${p.index}`);
    }
    return out;
  }

  async openTransactions(backend: string, topics: ReadonlySet<string>): Promise<string[]> {
    const open = new Set<string>();
    await Promise.all(
      this.brokerIds(backend).map(async (brokerId) => {
        const address = this.broker(backend, brokerId);
        const listed = await this.ask(backend, address, ApiKey.ListTransactions, 2, {
          stateFilters: ['Ongoing', 'PrepareCommit', 'PrepareAbort'],
          producerIdFilters: [],
          durationFilter: -1n,
          transactionalIdPattern: null,
        }, encodeListTransactionsRequest, decodeListTransactionsResponse);
        if (listed.errorCode !== 0) throw new BackendErrorCode(backend, `ListTransactions at broker ${brokerId}`, listed.errorCode);
        const ids = listed.transactionStates.map((s) => s.transactionalId);
        if (ids.length === 0) return;
        // The broker that lists a transaction coordinates it: it describes it too.
        const described = await this.ask(backend, address, ApiKey.DescribeTransactions, 0, { transactionalIds: ids }, encodeDescribeTransactionsRequest, decodeDescribeTransactionsResponse);
        for (const s of described.transactionStates) {
          if (s.errorCode !== 0) continue;
          if (s.topics.some((t) => topics.has(t.topic))) open.add(s.transactionalId);
        }
      }),
    );
    return [...open].sort();
  }

  async abortTransaction(backend: string, transactionalId: string): Promise<void> {
    await this.retried(backend, async () => {
      const coordinator = await this.coordinatorOf(backend, transactionalId, KEY_TYPE_TRANSACTION);
      const answer = await this.ask(backend, coordinator, ApiKey.InitProducerId, 5, {
        transactionalId,
        transactionTimeoutMs: ABORT_TRANSACTION_TIMEOUT_MS,
        producerId: -1n,
        producerEpoch: -1,
      }, encodeInitProducerIdRequest, decodeInitProducerIdResponse);
      if (answer.errorCode !== 0) throw new BackendErrorCode(backend, `InitProducerId for ${transactionalId}`, answer.errorCode);
    });
  }

  async committedOffsets(backend: string, wanted: (group: string) => boolean, topics: ReadonlySet<string>): Promise<CommittedOffset[]> {
    const groups = await this.listGroups(backend, wanted);
    const out: CommittedOffset[] = [];
    for (const group of [...groups.keys()].sort()) {
      for (const o of await this.groupOffsets(backend, group)) if (topics.has(o.topic)) out.push({ group, topic: o.topic, partition: o.partition, offset: o.offset });
    }
    return out;
  }

  async listGroups(backend: string, wanted: (group: string) => boolean): Promise<Map<string, string>> {
    const groups = new Map<string, string>();
    await Promise.all(
      this.brokerIds(backend).map(async (brokerId) => {
        const listed = await this.ask(backend, this.broker(backend, brokerId), ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] }, encodeListGroupsRequest, decodeListGroupsResponse);
        if (listed.errorCode !== 0) throw new BackendErrorCode(backend, `ListGroups at broker ${brokerId}`, listed.errorCode);
        for (const g of listed.groups) if (wanted(g.groupId)) groups.set(g.groupId, g.groupState);
      }),
    );
    return groups;
  }

  async groupOffsets(backend: string, group: string, stable = false): Promise<GroupOffset[]> {
    const answer = await this.retried(backend, async () => {
      const coordinator = await this.coordinatorOf(backend, group, KEY_TYPE_GROUP);
      const a = await this.ask(backend, coordinator, ApiKey.OffsetFetch, 7, { groupId: group, topics: null, groups: [], requireStable: stable }, encodeOffsetFetchRequest, decodeOffsetFetchResponse);
      if (a.errorCode !== 0) throw new BackendErrorCode(backend, `OffsetFetch of group ${group}`, a.errorCode);
      // Asked stable: a partition whose transaction's markers are on their way is asked again.
      const unstable = a.topics.find((t) => t.partitions.some((p) => p.errorCode === UNSTABLE_OFFSET_COMMIT));
      if (unstable !== undefined) throw new BackendErrorCode(backend, `OffsetFetch of group ${group} (${unstable.name})`, UNSTABLE_OFFSET_COMMIT);
      return a;
    });
    const out: GroupOffset[] = [];
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0 && p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
      }
    }
    return out;
  }

  async commitGroupOffsets(backend: string, group: string, offsets: readonly GroupOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, GroupOffset[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const topics = [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, commitTimestamp: -1n, committedLeaderEpoch: o.leaderEpoch, committedMetadata: o.metadata })),
    }));
    await this.retried(backend, async () => {
      const coordinator = await this.coordinatorOf(backend, group, KEY_TYPE_GROUP);
      // v8: topics by name on both Kafka versions; generation −1 and no member: an admin's commit.
      const a = await this.ask(backend, coordinator, ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, groupInstanceId: null, topics }, encodeOffsetCommitRequest, decodeOffsetCommitResponse);
      for (const t of a.topics) {
        const bad = t.partitions.find((p) => p.errorCode !== 0);
        if (bad !== undefined) throw new BackendErrorCode(backend, `OffsetCommit of group ${group} on ${t.name}-${bad.partitionIndex}`, bad.errorCode);
      }
    });
  }

  async groupMembers(backend: string, group: string): Promise<string[]> {
    return this.retried(backend, async () => {
      const coordinator = await this.coordinatorOf(backend, group, KEY_TYPE_GROUP);
      const a = await this.ask(backend, coordinator, ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false }, encodeDescribeGroupsRequest, decodeDescribeGroupsResponse);
      const g = a.groups[0];
      if (g === undefined) throw new CutoverBackendError(backend, `DescribeGroups answered nothing for ${group}`);
      if (g.errorCode !== 0) throw new BackendErrorCode(backend, `DescribeGroups of ${group}`, g.errorCode);
      return g.members.map((m) => m.memberId);
    });
  }

  private async coordinatorOf(backend: string, key: string, keyType: number): Promise<BrokerAddress> {
    const answer = await this.ask(backend, this.anyBroker(backend), ApiKey.FindCoordinator, 4, { key: '', keyType, coordinatorKeys: [key] }, encodeFindCoordinatorRequest, decodeFindCoordinatorResponse);
    const c = answer.coordinators[0];
    if (c === undefined) throw new CutoverBackendError(backend, `FindCoordinator answered nothing for ${key}`);
    if (c.errorCode !== 0) throw new BackendErrorCode(backend, `FindCoordinator of ${key}`, c.errorCode);
    return { backend, brokerId: c.nodeId, host: c.host, port: c.port };
  }

  private retried<T>(backend: string, attempt: () => Promise<T>): Promise<T> {
    return retryUntil(
      async () => {
        try {
          return await attempt();
        } catch (err) {
          // A leader or coordinator moved: the next attempt reads where it is now.
          if (err instanceof BackendErrorCode) this.opts.topologies.get(backend)?.requestRefresh();
          throw err;
        }
      },
      { deadlineMs: this.retryMs, initialDelayMs: 50, maxDelayMs: 500, retriable: passing },
    );
  }

  /** Sends one request to a broker and decodes its answer, at the version both sides support up to `cap`. */
  private async ask<Req, Res>(backend: string, address: BrokerAddress, apiKey: number, cap: number, body: Req, encode: BodyEncoder<Req>, decode: BodyDecoder<Res>): Promise<Res> {
    const session = this.opts.session();
    if (session === null) throw new CutoverBackendError(backend, 'Turnout has no session of its own for its requests');
    const version = this.versionFor(backend, apiKey, cap);
    const frame = encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, body, encode);
    const res = await session.sendUpstream(address, frame, true);
    if (res === null) throw new CutoverBackendError(backend, `no answer from broker ${address.brokerId}`);
    return decodeResponseFrame(res, apiKey, version, decode).body;
  }

  private versionFor(backend: string, apiKey: number, cap: number): number {
    const range = this.opts.topologies.get(backend)?.apiVersions.range(apiKey);
    const codecMax = apiInfo(apiKey)?.maxVersion ?? 0;
    if (range === undefined) throw new CutoverBackendError(backend, `its brokers do not offer api ${apiKey}`);
    const v = Math.min(range.maxVersion, codecMax, cap);
    if (v < range.minVersion) throw new CutoverBackendError(backend, `no version of api ${apiKey} both sides accept`);
    return v;
  }

  private brokerIds(backend: string): number[] {
    const t = this.opts.topologies.get(backend);
    if (t === undefined) throw new CutoverBackendError(backend, 'not a configured backend');
    return [...t.brokers().keys()];
  }

  private anyBroker(backend: string): BrokerAddress {
    const t = this.opts.topologies.get(backend);
    if (t === undefined) throw new CutoverBackendError(backend, 'not a configured backend');
    return this.broker(backend, t.anyBrokerId());
  }

  private broker(backend: string, brokerId: number): BrokerAddress {
    const b = this.opts.topologies.get(backend)?.broker(brokerId);
    if (b === undefined) throw new BackendErrorCode(backend, `broker ${brokerId}`, NOT_LEADER_OR_FOLLOWER);
    return { backend, brokerId, host: b.host, port: b.port };
  }
}
