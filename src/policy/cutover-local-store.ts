// The cutover store of one instance: the state in `cutovers.json` in the instance's state
// folder (state-dir.ts), rewritten durably (temporary file, fsync, rename, fsync of the folder)
// before a change is applied or announced, so that a kill -9 at any moment leaves either the
// state before the change or the state after it, and the instance never acts on a change the
// file does not hold. Without a state folder the state lives in memory and a restart forgets it.
//
// Writes run one at a time, each checked against the state the previous one left. The
// instance is the only one: it confirms every step itself and is the only live instance.
// A state file that cannot be read or parsed stops the start: routing a domain by its
// configured backend while the file says it moved would split its partitions' logs.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { CutoverPhase } from './cutover-phase.js';
import { CutoverStateError, type CutoverRecord } from './cutover-record.js';
import type { DomainCutoverState } from './cutover-domain-state.js';
import { CutoverState, cutoverStateDocument, parseCutoverStateDocument } from './cutover-state.js';
import {
  checkCreate,
  checkMove,
  checkSetDomain,
  CutoverListeners,
  CutoverStoreError,
  type AckReport,
  type AckStep,
  type CutoverStateListener,
  type CutoverStore,
  type CutoverStoreHealth,
} from './cutover-store.js';
import { writeFileDurably } from './durable-file.js';

export const CUTOVERS_FILE = 'cutovers.json';

export interface LocalCutoverStoreOptions {
  /** The state folder; null keeps the state in memory only. */
  dir: string | null;
  log: Logger;
  /** (default: a random id) */
  instanceId?: string;
}

export class LocalCutoverStore implements CutoverStore {
  readonly kind: 'file' | 'memory';
  readonly instanceId: string;
  /** The state file, or null in memory. */
  readonly file: string | null;
  private readonly log: Logger;
  private readonly listeners: CutoverListeners;
  private state: CutoverState;
  private readonly acknowledged = new Map<string, Map<string, AckReport>>();
  private writes: Promise<unknown> = Promise.resolve();
  private lastError: string | null = null;
  private closed = false;

  /** Reads the state file when there is one; throws CutoverStateError when it cannot be read or parsed. */
  static async open(opts: LocalCutoverStoreOptions): Promise<LocalCutoverStore> {
    const file = opts.dir === null ? null : path.join(opts.dir, CUTOVERS_FILE);
    const state = file === null ? CutoverState.empty() : await readStateFile(file);
    const store = new LocalCutoverStore(opts, file, state);
    if (file !== null && state.version > 0) {
      store.log.info({ file, version: state.version, domains: state.domains.size, active: state.active().length }, 'cutover state read from the state file');
    }
    return store;
  }

  private constructor(opts: LocalCutoverStoreOptions, file: string | null, state: CutoverState) {
    this.kind = file === null ? 'memory' : 'file';
    this.file = file;
    this.instanceId = opts.instanceId ?? randomUUID();
    this.log = opts.log.child({ cutoverStore: this.kind });
    this.listeners = new CutoverListeners(this.log);
    this.state = state;
  }

  current(): CutoverState {
    return this.state;
  }

  known(): boolean {
    return true;
  }

  subscribe(listener: CutoverStateListener): () => void {
    return this.listeners.add(listener);
  }

  create(record: CutoverRecord): Promise<void> {
    return this.write((s) => {
      checkCreate(s, record);
      return s.with(record);
    });
  }

  move(expected: CutoverPhase, next: CutoverRecord, domainState?: DomainCutoverState): Promise<void> {
    return this.write((s) => {
      checkMove(s, expected, next);
      return s.with(next, domainState === undefined ? undefined : { name: next.domain, state: domainState });
    });
  }

  setDomainState(domain: string, state: DomainCutoverState, expectedVersion: number): Promise<void> {
    return this.write((s) => {
      checkSetDomain(s, domain, expectedVersion);
      return s.withDomain(domain, state);
    });
  }

  async ack(cutoverId: string, step: AckStep, report: AckReport): Promise<void> {
    const key = `${cutoverId}/${step}`;
    let reports = this.acknowledged.get(key);
    if (reports === undefined) this.acknowledged.set(key, (reports = new Map()));
    reports.set(this.instanceId, report);
  }

  async acks(cutoverId: string, step: AckStep): Promise<Map<string, AckReport>> {
    return new Map(this.acknowledged.get(`${cutoverId}/${step}`) ?? []);
  }

  async liveInstances(): Promise<string[]> {
    return [this.instanceId];
  }

  async refresh(): Promise<void> {
    await this.writes;
  }

  health(): CutoverStoreHealth {
    return { kind: this.kind, ready: !this.closed, known: true, lastError: this.lastError, version: this.state.version };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.writes.catch(() => undefined);
  }

  /** Runs one change after the writes before it: checked, written to the file, then applied and announced. */
  private write(change: (s: CutoverState) => CutoverState): Promise<void> {
    const run = this.writes.then(async () => {
      if (this.closed) throw new CutoverStoreError(this.kind, 'the cutover store is closed');
      const previous = this.state;
      const next = change(previous);
      if (this.file !== null) {
        try {
          await writeFileDurably(this.file, `${JSON.stringify(cutoverStateDocument(next), null, 2)}\n`);
        } catch (err) {
          this.lastError = `cannot write ${this.file}: ${(err as Error).message}`;
          this.log.error({ err, file: this.file }, 'cannot write the cutover state file; the change is not made');
          throw new CutoverStoreError(this.kind, this.lastError, { cause: err });
        }
        this.lastError = null;
      }
      this.state = next;
      this.listeners.notify(next, previous);
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

async function readStateFile(file: string): Promise<CutoverState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return CutoverState.empty();
    throw new CutoverStateError(file, `cannot be read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CutoverStateError(file, `is not JSON: ${(err as Error).message}`);
  }
  return parseCutoverStateDocument(value, file);
}
