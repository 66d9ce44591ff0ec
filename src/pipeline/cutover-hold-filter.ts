// The cutover hold: while a domain's traffic is held (cutover-holds.ts, by phase), its produce
// and transactional requests wait here, in their place in their connection's response order,
// and go on when the hold ends, routed by the state then in effect (the target after a switch,
// the source after a rollback). Nothing is answered with an error.
//
//   mode    Produce, InitProducerId (transactional),    AddOffsetsToTxn, EndTxn,
//           AddPartitionsToTxn                          TxnOffsetCommit
//   count   forwarded, counted in flight                forwarded, counted
//   drain   held                                        forwarded, counted: a transaction whose
//                                                       records were all acknowledged may end
//   hold    held                                        held
//
// A transaction's consumer offsets (an exactly-once application's) must end where its records
// do. While this instance holds a Produce or AddPartitionsToTxn of a transactional id, its
// AddOffsetsToTxn, TxnOffsetCommit and EndTxn are held too: forwarded, they would open the
// transaction on the source with the group's offsets alone (no partition of it has a record
// there, so the drain would not see it), and the group's offsets would stay unstable there
// until the transaction timed out. A transaction whose offsets reached the source before its
// records were held is aborted there by the cutover, and the client is made to abort it
// (multi/produce.ts).
//
// A request is decided by the domains it touches (its topics' and its transactional id's);
// one that touches a held domain is held whole. Counted requests are forwarded with a response
// transform that ends their count, and a produce answered with an error on a domain's partition
// fails that domain's cutover (the client retries, and its retry must go where the first try
// may have landed: the source). A counted request whose client connection closes before its
// answer is taken off the count then (the drain would otherwise wait for it until its
// deadline), and a held one leaves the held bytes (it never comes back). Produce with acks=0
// gets no answer and is not counted; the switch points' stability check covers it.
//
// The groups of a domain moving to its backend (`turnout cutover groups`, groups-move.ts) have
// their own holds (`groupHolds`): while they count, the domain's group requests (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ConsumerGroupHeartbeat,
// TxnOffsetCommit) are forwarded and counted in flight; while they hold, those requests wait
// here until the groups' new coordinator is in effect. A request is decided by its group's domain.
// During a cutover the same holds take the groups that move with the domain's transactional ids
// (`groupFollowsHold` picks them): counted while the cutover drains, held once it is drained,
// released to the group's coordinator after the switch (or the source's, after a rollback).
// After the move, a member the group had on the old coordinator goes on committing what it read
// until its next heartbeat tells it to rejoin; the new coordinator does not know it. Its
// OffsetCommit (`formerMembers`) is sent on as the commit of no member (generation −1), which
// the new coordinator takes only while the group has not rejoined there, so that the records
// the member read before it rejoins are not read again after.
//
// While no domain is in a cutover and no groups move the filter wants nothing, so no request is
// decoded for it.
import {
  ApiKey,
  decodeProduceResponse,
  encodeOffsetCommitRequest,
  type OffsetCommitRequest,
  type AddOffsetsToTxnRequest,
  type AddPartitionsToTxnRequest,
  type EndTxnRequest,
  type InitProducerIdRequest,
  type ProduceRequest,
  type TxnOffsetCommitRequest,
} from '../codec/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../codec/message-frames.js';
import type { HoldMode } from '../policy/cutover-phase.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import type { CutoverHolds, InFlightCount } from './cutover-holds.js';
import type { FormerMembers } from './former-members.js';
import { FORWARD, type FilterOutcome, type FilterRequest, type RequestFilter, type ResponseTransform } from './filter.js';

/** Produce names topics by id from this version. */
const PRODUCE_FIRST_TOPIC_ID_VERSION = 13;

export interface CutoverHoldFilterOptions {
  holds: CutoverHolds;
  /** The policy in effect (with cut-over domains' backends): which domain a name belongs to. */
  policy: () => PolicySnapshot;
  /** A virtual topic id's name (Produce v13+), or undefined when not known. */
  topicName: (topicId: string) => string | undefined;
  /** The holds of domains whose groups are moving (by group domain); none: groups never held. */
  groupHolds?: CutoverHolds;
  /** The members moved groups had on their old coordinator. */
  formerMembers?: FormerMembers;
  /**
   * Whether a group's requests follow its domain's group hold: during a cutover only the groups
   * that move with the transactional ids do; during a groups move every group of the domain.
   * (default: every group)
   */
  groupFollowsHold?: (domain: string, group: string) => boolean;
}

/** Apis the filter decides on. */
const HELD_APIS = new Set<number>([ApiKey.Produce, ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.TxnOffsetCommit]);
/** Apis that only end a transaction already open: forwarded while the drain lets transactions end. */
const ENDING_APIS = new Set<number>([ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.TxnOffsetCommit]);

/** Apis of one consumer group, decided by the group's domain while its groups move. */
const GROUP_APIS = new Set<number>([
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.ConsumerGroupHeartbeat,
  ApiKey.TxnOffsetCommit,
]);

/** The group fields of the group apis' bodies (OffsetFetch v8+ names its groups in a list). */
interface GroupBody {
  groupId?: string;
  groups?: ReadonlyArray<{ groupId: string }>;
}

/** A held request: where it waits and what it weighs. */
interface HeldRequest {
  holds: CutoverHolds;
  domain: string;
  bytes: number;
  holdNumber: number;
  /** The transactional id whose records it carries or adds (Produce, AddPartitionsToTxn), or null. */
  transactionalId: string | null;
}

/** Requests held with a transactional id's records, in the hold they were held in. */
interface HeldTransaction {
  holdNumber: number;
  requests: number;
}

const RANK: Readonly<Record<HoldMode, number>> = { none: 0, count: 1, drain: 2, hold: 3 };

export class CutoverHoldFilter implements RequestFilter {
  readonly name = 'cutover-hold';
  private readonly opts: CutoverHoldFilterOptions;
  /** Requests held now, to take them off the count when they come back. */
  private readonly held = new WeakMap<FilterRequest, HeldRequest>();
  /** Transactional ids with records held here (Produce, AddPartitionsToTxn), by id. */
  private readonly heldTransactions = new Map<string, HeldTransaction>();

  constructor(opts: CutoverHoldFilterOptions) {
    this.opts = opts;
  }

  wants(apiKey: number): boolean {
    return (
      (this.opts.holds.active && HELD_APIS.has(apiKey)) ||
      (this.opts.groupHolds?.active === true && GROUP_APIS.has(apiKey)) ||
      (apiKey === ApiKey.OffsetCommit && this.opts.formerMembers?.active === true)
    );
  }

  onRequest(request: FilterRequest): FilterOutcome {
    const before = this.held.get(request);
    if (before !== undefined) {
      this.held.delete(request);
      before.holds.unhold(before.domain, before.bytes, before.holdNumber);
      if (before.transactionalId !== null) this.releasedTransaction(before.transactionalId, before.holdNumber);
    }
    const groups = this.opts.groupHolds;
    const former = this.opts.formerMembers;
    const group = (groups?.active === true && GROUP_APIS.has(request.apiKey)) || (former?.active === true && request.apiKey === ApiKey.OffsetCommit) ? this.groupOf(request) : undefined;
    const groupDomain = group?.domain;
    const follows = group !== undefined && (this.opts.groupFollowsHold?.(group.domain, group.id) ?? true);
    const groupMode = groups === undefined || groupDomain === undefined || !follows ? 'none' : groups.modeOf(groupDomain);
    if (groups !== undefined && groupDomain !== undefined && (groupMode === 'hold' || groupMode === 'drain')) return this.holdIn(groups, request, groupDomain);
    if (former !== undefined && groupDomain !== undefined && request.apiKey === ApiKey.OffsetCommit) {
      const commit = request.decoded().body as OffsetCommitRequest;
      if (commit.memberId !== '' && former.isFormer(groupDomain, commit.groupId, commit.memberId)) return { kind: 'forward', request: asCommitOfNoMember(request) };
    }
    const outcome = this.opts.holds.active && HELD_APIS.has(request.apiKey) ? this.decide(request) : FORWARD;
    if (groupMode !== 'count' || groups === undefined || groupDomain === undefined || outcome.kind !== 'forward') return outcome;
    // Counted while the groups move: the copy of their offsets waits for it to be answered.
    const count = groups.inFlightOf(groupDomain);
    if (count === null) return outcome;
    count.add();
    const inner: ResponseTransform | undefined = outcome.onResponse;
    const innerAbandoned = outcome.onAbandoned;
    return {
      ...outcome,
      onResponse: (response) => {
        count.done();
        return inner === undefined ? response : inner(response);
      },
      onAbandoned: () => {
        count.done();
        innerAbandoned?.();
      },
    };
  }

  /** Holds a request in `holds` for `domain`; `transactionalId`: the id whose records it carries or adds. */
  private holdIn(holds: CutoverHolds, request: FilterRequest, domain: string, transactionalId: string | null = null): FilterOutcome {
    const bytes = request.frame.length;
    const { until, holdNumber } = holds.hold(domain, bytes);
    this.held.set(request, { holds, domain, bytes, holdNumber, transactionalId });
    if (transactionalId !== null) {
      const t = this.heldTransactions.get(transactionalId);
      // An entry of an ended hold counts for nothing (its requests may never come back: a closed connection).
      if (t === undefined || t.holdNumber !== holdNumber) this.heldTransactions.set(transactionalId, { holdNumber, requests: 1 });
      else t.requests++;
    }
    // A request whose connection closes while held never comes back: its bytes leave the cap now.
    const onAbandoned = (): void => {
      if (!this.held.delete(request)) return;
      holds.unhold(domain, bytes, holdNumber);
      if (transactionalId !== null) this.releasedTransaction(transactionalId, holdNumber);
    };
    return { kind: 'hold', until, onAbandoned };
  }

  private releasedTransaction(transactionalId: string, holdNumber: number): void {
    const t = this.heldTransactions.get(transactionalId);
    if (t === undefined || t.holdNumber !== holdNumber) return;
    if (--t.requests <= 0) this.heldTransactions.delete(transactionalId);
  }

  /** Whether this instance holds records of the transactional id in the domain's hold in effect. */
  private holdsRecordsOf(transactionalId: string | null, domain: string): boolean {
    if (transactionalId === null || transactionalId === '') return false;
    const t = this.heldTransactions.get(transactionalId);
    return t !== undefined && t.requests > 0 && t.holdNumber === this.opts.holds.holdNumberOf(domain);
  }

  /** The transactional id of a transactional request (null: none, or one the filter does not track). */
  private transactionalIdOf(request: FilterRequest): string | null {
    const body = request.decoded().body;
    switch (request.apiKey) {
      case ApiKey.Produce:
        return (body as ProduceRequest).transactionalId;
      case ApiKey.AddPartitionsToTxn:
        // v4+ is sent by brokers (several transactions at once), never by clients.
        return request.apiVersion <= 3 ? (body as AddPartitionsToTxnRequest).v3AndBelowTransactionalId : null;
      case ApiKey.AddOffsetsToTxn:
        return (body as AddOffsetsToTxnRequest).transactionalId;
      case ApiKey.EndTxn:
        return (body as EndTxnRequest).transactionalId;
      case ApiKey.TxnOffsetCommit:
        return (body as TxnOffsetCommitRequest).transactionalId;
      default:
        return null;
    }
  }

  /** A group request's group and its domain, or undefined (no group, or one no domain claims). */
  private groupOf(request: FilterRequest): { id: string; domain: string } | undefined {
    const body = request.decoded().body as GroupBody;
    const id = typeof body.groupId === 'string' && body.groupId !== '' ? body.groupId : body.groups?.[0]?.groupId;
    const domain = id === undefined || id === '' ? undefined : domainOf(this.opts.policy(), 'group', id);
    return id === undefined || domain === undefined ? undefined : { id, domain };
  }

  /** The cutover's decision: held, forwarded counted, or forwarded. */
  private decide(request: FilterRequest): FilterOutcome {
    const { holds } = this.opts;
    const domains = this.domainsOf(request);
    if (domains.length === 0) return FORWARD;
    let strongest: string | null = null;
    let rank = 0;
    for (const d of domains) {
      const r = RANK[holds.modeOf(d)];
      if (r > rank) {
        rank = r;
        strongest = d;
      }
    }
    if (strongest === null) return FORWARD;
    const mode = holds.modeOf(strongest);
    if (mode === 'hold' || mode === 'drain') {
      const transactionalId = this.transactionalIdOf(request);
      const carriesRecords = request.apiKey === ApiKey.Produce || request.apiKey === ApiKey.AddPartitionsToTxn;
      if (mode === 'hold' || !ENDING_APIS.has(request.apiKey) || this.holdsRecordsOf(transactionalId, strongest)) {
        return this.holdIn(holds, request, strongest, carriesRecords ? transactionalId : null);
      }
    }
    return this.counted(request, domains);
  }

  /** Forwards a request, counting it in flight for every domain in a cutover that it touches. */
  private counted(request: FilterRequest, domains: readonly string[]): FilterOutcome {
    const { holds } = this.opts;
    if (request.apiKey === ApiKey.Produce && (request.decoded().body as ProduceRequest).acks === 0) return FORWARD;
    const counts: Array<{ domain: string; count: InFlightCount }> = [];
    for (const domain of domains) {
      const count = holds.inFlightOf(domain);
      if (count !== null && holds.modeOf(domain) !== 'none') {
        count.add();
        counts.push({ domain, count });
      }
    }
    if (counts.length === 0) return FORWARD;
    const version = request.apiVersion;
    const isProduce = request.apiKey === ApiKey.Produce;
    return {
      kind: 'forward',
      onResponse: (response) => {
        const failed = isProduce ? this.failedProduceDomains(response, version) : null;
        for (const { domain, count } of counts) {
          const reason = failed === null ? null : typeof failed === 'string' ? failed : (failed.get(domain) ?? null);
          if (reason !== null && count.failure === null) count.failure = reason;
          count.done();
          if (reason !== null && holds.cutoverOf(domain) === count.cutoverId) holds.fail(domain, reason);
        }
        return response;
      },
      // Its connection closed first: nothing will answer it here. Turnout closed the upstream
      // with it, so whatever the source took of it lands now, before the switch points'
      // stability check; the client retries what it was not told was written.
      onAbandoned: () => {
        for (const { count } of counts) count.done();
      },
    };
  }

  /**
   * Domains with a partition answered an error in a produce response, with the first error;
   * a response that cannot be read fails every domain (a string: the reason).
   */
  private failedProduceDomains(response: Buffer, version: number): Map<string, string> | string {
    let answer;
    try {
      answer = decodeResponseFrame(response, ApiKey.Produce, version, decodeProduceResponse).body;
    } catch (err) {
      return `unreadable produce response during the cutover: ${(err as Error).message}`;
    }
    const out = new Map<string, string>();
    const policy = this.opts.policy();
    for (const t of answer.responses) {
      const name = version >= PRODUCE_FIRST_TOPIC_ID_VERSION ? this.opts.topicName(t.topicId) : t.name;
      const domain = name === undefined ? undefined : domainOf(policy, 'topic', name);
      if (domain === undefined || out.has(domain)) continue;
      const bad = t.partitionResponses.find((p) => p.errorCode !== 0);
      if (bad !== undefined) out.set(domain, `a produce to ${name}-${bad.index} on the source failed (error ${bad.errorCode}) during the cutover`);
    }
    return out;
  }

  /** The domains a request touches: its topics' and its transactional ids'. */
  private domainsOf(request: FilterRequest): string[] {
    const policy = this.opts.policy();
    const out = new Set<string>();
    const addTopic = (name: string | undefined): void => {
      const d = name === undefined ? undefined : domainOf(policy, 'topic', name);
      if (d !== undefined) out.add(d);
    };
    const addTxn = (id: string | null): void => {
      const d = id === null || id === '' ? undefined : domainOf(policy, 'transactionalId', id);
      if (d !== undefined) out.add(d);
    };
    const body = request.decoded().body;
    switch (request.apiKey) {
      case ApiKey.Produce: {
        const p = body as ProduceRequest;
        addTxn(p.transactionalId);
        const byId = request.apiVersion >= PRODUCE_FIRST_TOPIC_ID_VERSION;
        for (const t of p.topicData) addTopic(byId ? this.opts.topicName(t.topicId) : t.name);
        break;
      }
      case ApiKey.InitProducerId:
        // Without a transactional id Turnout answers it itself (virtual producer ids): nothing to hold.
        addTxn((body as InitProducerIdRequest).transactionalId);
        break;
      case ApiKey.AddPartitionsToTxn: {
        const a = body as AddPartitionsToTxnRequest;
        if (request.apiVersion <= 3) {
          addTxn(a.v3AndBelowTransactionalId);
          for (const t of a.v3AndBelowTopics) addTopic(t.name);
        } else {
          for (const tx of a.transactions) {
            addTxn(tx.transactionalId);
            for (const t of tx.topics) addTopic(t.name);
          }
        }
        break;
      }
      case ApiKey.AddOffsetsToTxn:
        addTxn((body as AddOffsetsToTxnRequest).transactionalId);
        break;
      case ApiKey.EndTxn:
        addTxn((body as EndTxnRequest).transactionalId);
        break;
      case ApiKey.TxnOffsetCommit:
        addTxn((body as TxnOffsetCommitRequest).transactionalId);
        break;
    }
    return [...out];
  }
}

function domainOf(policy: PolicySnapshot, kind: 'topic' | 'transactionalId' | 'group', name: string): string | undefined {
  const r = policy.resolve(kind, name);
  return r.ok ? r.domain.name : undefined;
}

/** An OffsetCommit as the commit of no member (an admin's): generation −1, no member id. */
function asCommitOfNoMember(request: FilterRequest): Buffer {
  const { header, body } = request.decoded();
  const commit: OffsetCommitRequest = { ...(body as OffsetCommitRequest), generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null };
  return encodeRequestFrame(header, commit, encodeOffsetCommitRequest);
}
