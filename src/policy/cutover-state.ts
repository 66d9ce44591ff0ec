// The cutover state of a virtual cluster at one version: every domain's segment chains (what
// its completed cutovers left) and the cutover records, at most one of them active per domain.
// Immutable: stores build a new one for every change and hand it to their subscribers.
import { isFinished } from './cutover-phase.js';
import { parseCutoverRecord, CutoverStateError, type CutoverRecord } from './cutover-record.js';
import { parseDomainState, serializeDomainState, type DomainCutoverState, type SerializedDomainState } from './cutover-domain-state.js';

/** Finished records kept (the newest); older ones are dropped at the next write. */
export const FINISHED_RECORDS_KEPT = 200;

export class CutoverState {
  readonly version: number;
  readonly domains: ReadonlyMap<string, DomainCutoverState>;
  /** By id. */
  readonly cutovers: ReadonlyMap<string, CutoverRecord>;
  private readonly activeByDomain = new Map<string, CutoverRecord>();

  constructor(version: number, domains: ReadonlyMap<string, DomainCutoverState>, cutovers: ReadonlyMap<string, CutoverRecord>) {
    this.version = version;
    this.domains = domains;
    this.cutovers = cutovers;
    for (const c of cutovers.values()) if (!isFinished(c.phase)) this.activeByDomain.set(c.domain, c);
  }

  static empty(): CutoverState {
    return new CutoverState(0, new Map(), new Map());
  }

  /** The domain's cutover in progress, if any. */
  activeOf(domain: string): CutoverRecord | undefined {
    return this.activeByDomain.get(domain);
  }

  /** Every cutover in progress. */
  active(): CutoverRecord[] {
    return [...this.activeByDomain.values()];
  }

  /** Every record, newest first. */
  list(): CutoverRecord[] {
    return [...this.cutovers.values()].sort((a, b) => startOf(b) - startOf(a));
  }

  /** A new state with `record` put in (and `domain` replaced when given), version + 1, old finished records trimmed. */
  with(record: CutoverRecord, domain?: { name: string; state: DomainCutoverState }): CutoverState {
    const cutovers = new Map(this.cutovers);
    cutovers.set(record.id, record);
    const domains = domain === undefined ? this.domains : new Map(this.domains).set(domain.name, domain.state);
    return new CutoverState(this.version + 1, domains, trimmed(cutovers));
  }

  /** A new state with a domain's state replaced, version + 1. */
  withDomain(name: string, state: DomainCutoverState): CutoverState {
    return new CutoverState(this.version + 1, new Map(this.domains).set(name, state), this.cutovers);
  }
}

function startOf(r: CutoverRecord): number {
  return r.phaseAtMs.PLANNED ?? 0;
}

function trimmed(cutovers: Map<string, CutoverRecord>): Map<string, CutoverRecord> {
  const finished = [...cutovers.values()].filter((c) => isFinished(c.phase));
  if (finished.length <= FINISHED_RECORDS_KEPT) return cutovers;
  finished.sort((a, b) => startOf(a) - startOf(b));
  for (const c of finished.slice(0, finished.length - FINISHED_RECORDS_KEPT)) cutovers.delete(c.id);
  return cutovers;
}

/** The state as one JSON document (the state file's content). */
export interface CutoverStateDocument {
  format: 1;
  about: string;
  version: number;
  domains: Record<string, SerializedDomainState>;
  cutovers: CutoverRecord[];
}

const ABOUT = 'Cutover segments and records of this Turnout instance. Written by Turnout before it acts on a change; do not edit while it runs.';

export function cutoverStateDocument(s: CutoverState): CutoverStateDocument {
  const domains: Record<string, SerializedDomainState> = {};
  for (const [name, d] of s.domains) domains[name] = serializeDomainState(d);
  return { format: 1, about: ABOUT, version: s.version, domains, cutovers: s.list() };
}

/** A state document read back; throws CutoverStateError naming what is wrong. */
export function parseCutoverStateDocument(value: unknown, where: string): CutoverState {
  if (typeof value !== 'object' || value === null) throw new CutoverStateError(where, 'not an object');
  const doc = value as Partial<CutoverStateDocument>;
  if (doc.format !== 1) throw new CutoverStateError(where, `unknown format ${JSON.stringify(doc.format)}`);
  if (!Number.isInteger(doc.version)) throw new CutoverStateError(where, 'version: not an integer');
  if (typeof doc.domains !== 'object' || doc.domains === null) throw new CutoverStateError(where, 'domains: not an object');
  if (!Array.isArray(doc.cutovers)) throw new CutoverStateError(where, 'cutovers: not a list');
  const domains = new Map<string, DomainCutoverState>();
  for (const [name, d] of Object.entries(doc.domains)) domains.set(name, parseDomainState(d, `${where}: domains.${name}`));
  const cutovers = new Map<string, CutoverRecord>();
  doc.cutovers.forEach((c: unknown, i) => {
    const r = parseCutoverRecord(c, `${where}: cutovers[${i}]`);
    cutovers.set(r.id, r);
  });
  return new CutoverState(doc.version as number, domains, cutovers);
}
