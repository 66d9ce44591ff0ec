// The producer binding store of one instance: a journal file in the state folder
// (`producers.jsonl`), one JSON object a line, `{"put": producer}` or `{"del": "virtualId"}`,
// the later line winning. Each write is appended and fsynced before it is reported durable;
// writes that arrive while an fsync runs are appended together (one fsync for many producers).
//
// At open the journal is replayed, producers idle longer than `idleMs` are dropped (Kafka has
// forgotten their ids too), and the live ones are written to a new journal (temp file, fsync,
// rename, fsync of the folder), so a line torn by a crash never survives a restart. The journal
// is compacted the same way while running once it holds `compactAfterLines` lines more than
// live producers: its size stays proportional to the producers in use.
//
// A failed write fails every write waiting with it, and the store reloads from the file
// before its next operation, so what it answers is always what the file holds. Two instances
// must not share a state folder.
import { constants } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import {
  copyOfProducer,
  producerFromJson,
  producerToJson,
  ProducerStoreError,
  type ProducerBindingStore,
  type ProducerKey,
  type StoredBinding,
  type StoredProducer,
} from './producer-binding-store.js';

export const PRODUCERS_FILE = 'producers.jsonl';

export interface FileProducerBindingStoreOptions {
  /** The state folder (see policy/state-dir.ts); it must exist. */
  dir: string;
  /** Producers unused this long are dropped when the journal is loaded, in ms. */
  idleMs: number;
  log: Logger;
  /** Compact once the journal holds this many lines more than live producers. (default: 10000) */
  compactAfterLines?: number;
  nowMs?: () => number;
}

interface PendingWrite {
  text: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function putLine(p: StoredProducer): string {
  return `${JSON.stringify({ put: producerToJson(p) })}\n`;
}

function delLine(virtualId: bigint): string {
  return `${JSON.stringify({ del: virtualId.toString() })}\n`;
}

export class FileProducerBindingStore implements ProducerBindingStore {
  readonly kind = 'file';
  readonly path: string;
  private readonly dir: string;
  private readonly idleMs: number;
  private readonly log: Logger;
  private readonly compactAfterLines: number;
  private readonly nowMs: () => number;
  private readonly producers = new Map<bigint, StoredProducer>();
  private readonly byTransactionalId = new Map<string, bigint>();
  private file: FileHandle | null = null;
  /** Lines in the journal file. */
  private lines = 0;
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  /** A write failed: reload from the file before the next operation. */
  private broken = false;
  private recovering: Promise<void> | null = null;
  private closed = false;

  private constructor(opts: FileProducerBindingStoreOptions) {
    this.dir = opts.dir;
    this.path = join(opts.dir, PRODUCERS_FILE);
    this.idleMs = opts.idleMs;
    this.log = opts.log.child({ producerStore: 'file' });
    this.compactAfterLines = opts.compactAfterLines ?? 10_000;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Loads and compacts the journal in `opts.dir`; throws ProducerStoreError when it cannot. */
  static async open(opts: FileProducerBindingStoreOptions): Promise<FileProducerBindingStore> {
    const store = new FileProducerBindingStore(opts);
    await store.load();
    return store;
  }

  /** Producers stored. */
  get size(): number {
    return this.producers.size;
  }

  async find(virtualId: bigint): Promise<StoredProducer | null> {
    await this.ready();
    const p = this.producers.get(virtualId);
    return p === undefined ? null : copyOfProducer(p);
  }

  async findTransactional(transactionalId: string): Promise<StoredProducer | null> {
    await this.ready();
    const virtualId = this.byTransactionalId.get(transactionalId);
    return virtualId === undefined ? null : this.find(virtualId);
  }

  async claimBinding(virtualId: bigint, backend: string, binding: StoredBinding, usedMs: number): Promise<StoredBinding> {
    await this.ready();
    let p = this.producers.get(virtualId);
    const standing = p?.bindings.get(backend);
    if (standing !== undefined) {
      // It may have been written a moment ago: durable only once that write is.
      await this.append('');
      return standing;
    }
    if (p === undefined) {
      p = { virtualId, transactionalId: null, epoch: 0, bindings: new Map(), usedMs };
      this.producers.set(virtualId, p);
    }
    p.bindings.set(backend, binding);
    p.usedMs = Math.max(p.usedMs, usedMs);
    await this.append(putLine(p));
    return binding;
  }

  async putTransactional(producer: StoredProducer, replacedVirtualId: bigint | null): Promise<void> {
    await this.ready();
    let text = '';
    if (replacedVirtualId !== null && replacedVirtualId !== producer.virtualId && this.producers.delete(replacedVirtualId)) {
      text += delLine(replacedVirtualId);
    }
    const p = copyOfProducer(producer);
    this.producers.set(p.virtualId, p);
    if (p.transactionalId !== null) this.byTransactionalId.set(p.transactionalId, p.virtualId);
    await this.append(text + putLine(p));
  }

  async claimSequenceBase(virtualId: bigint, key: string, partition: string, base: number, usedMs: number): Promise<number> {
    await this.ready();
    const p = this.producers.get(virtualId);
    if (p === undefined) return base;
    const standing = p.sequenceBases?.get(key)?.get(partition);
    if (standing !== undefined) {
      // It may have been written a moment ago: durable only once that write is.
      await this.append('');
      return standing;
    }
    // One key at a time: a transactional id's earlier moves are over.
    const bases = p.sequenceBases?.get(key) ?? new Map<string, number>();
    bases.set(partition, base);
    p.sequenceBases = new Map([[key, bases]]);
    p.usedMs = Math.max(p.usedMs, usedMs);
    await this.append(putLine(p));
    return base;
  }

  async touch(producers: readonly ProducerKey[], usedMs: number): Promise<void> {
    await this.ready();
    let text = '';
    for (const { virtualId } of producers) {
      const p = this.producers.get(virtualId);
      if (p === undefined || p.usedMs >= usedMs) continue;
      p.usedMs = usedMs;
      text += putLine(p);
    }
    if (text !== '') await this.append(text);
  }

  async forgetIdle(_producers: readonly ProducerKey[], idleBeforeMs: number): Promise<void> {
    await this.ready();
    // One instance: every producer idle that long is idle everywhere.
    let text = '';
    for (const p of [...this.producers.values()]) {
      if (p.usedMs >= idleBeforeMs) continue;
      this.remove(p);
      text += delLine(p.virtualId);
    }
    if (text !== '') await this.append(text);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.file?.close().catch(() => undefined);
    this.file = null;
  }

  private remove(p: StoredProducer): void {
    this.producers.delete(p.virtualId);
    if (p.transactionalId !== null && this.byTransactionalId.get(p.transactionalId) === p.virtualId) this.byTransactionalId.delete(p.transactionalId);
  }

  /** Waits for a reload after a failed write; throws when the store is closed or cannot reload. */
  private async ready(): Promise<void> {
    if (this.closed) throw new ProducerStoreError(this.kind, 'serve a request', new Error('the store is closed'));
    if (!this.broken) return;
    this.recovering ??= (async () => {
      try {
        await this.flushing;
        await this.file?.close().catch(() => undefined);
        this.file = null;
        await this.load();
        this.broken = false;
        this.log.info({ path: this.path }, 'producer bindings reloaded after a failed write');
      } finally {
        this.recovering = null;
      }
    })();
    await this.recovering;
  }

  private async load(): Promise<void> {
    this.producers.clear();
    this.byTransactionalId.clear();
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProducerStoreError(this.kind, `read ${this.path}`, err);
    }
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (!this.replay(line)) unreadable++;
    }
    // Kafka expires producer ids unused for producer.id.expiration.ms; these have been.
    const idleBefore = this.nowMs() - this.idleMs;
    let expired = 0;
    for (const p of [...this.producers.values()]) {
      if (p.usedMs < idleBefore) {
        this.remove(p);
        expired++;
      }
    }
    if (unreadable > 0) this.log.warn({ path: this.path, unreadable }, 'skipped unreadable lines of the producer bindings journal (a write torn by a crash)');
    await this.rewrite();
    this.log.info({ path: this.path, producers: this.producers.size, expired }, 'producer bindings loaded');
  }

  /** Applies one journal line; false when it cannot be read. */
  private replay(line: string): boolean {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return false;
    }
    if (typeof entry !== 'object' || entry === null) return false;
    const { put, del } = entry as { put?: unknown; del?: unknown };
    if (typeof del === 'string' && /^\d+$/.test(del)) {
      const p = this.producers.get(BigInt(del));
      if (p !== undefined) this.remove(p);
      return true;
    }
    const p = producerFromJson(put);
    if (p === null) return false;
    const old = this.producers.get(p.virtualId);
    if (old !== undefined) this.remove(old);
    if (p.transactionalId !== null) {
      // A transactional id has one producer: the one written last.
      const previous = this.byTransactionalId.get(p.transactionalId);
      if (previous !== undefined) this.producers.delete(previous);
      this.byTransactionalId.set(p.transactionalId, p.virtualId);
    }
    this.producers.set(p.virtualId, p);
    return true;
  }

  /** Writes the live producers to a new journal that replaces the old one atomically. */
  private async rewrite(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    try {
      const out = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      try {
        await out.writeFile([...this.producers.values()].map(putLine).join(''));
        await out.datasync();
      } finally {
        await out.close();
      }
      await this.file?.close();
      this.file = null;
      await rename(tmp, this.path);
      await syncFolder(this.dir);
      this.file = await open(this.path, 'a', 0o600);
      this.lines = this.producers.size;
    } catch (err) {
      throw new ProducerStoreError(this.kind, `write ${this.path}`, err);
    }
  }

  /** Resolves once `text` (and everything appended before it) is on disk. */
  private append(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = null));
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.broken || this.file === null) throw new Error('an earlier write failed');
        const text = batch.map((w) => w.text).join('');
        if (text !== '') {
          await this.file.write(text);
          await this.file.datasync();
          this.lines += countLines(text);
        }
        for (const w of batch) w.resolve();
      } catch (err) {
        if (!this.broken) this.log.error({ err, path: this.path }, 'cannot write the producer bindings journal');
        this.broken = true;
        const failure = new ProducerStoreError(this.kind, `write ${this.path}`, err);
        for (const w of batch) w.reject(failure);
        continue;
      }
      if (this.lines > this.producers.size + this.compactAfterLines) {
        await this.rewrite().catch((err: unknown) => {
          this.log.error({ err, path: this.path }, 'cannot compact the producer bindings journal');
          this.broken = true;
        });
      }
    }
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Makes a rename in `dir` durable. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
