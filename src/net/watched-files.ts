// Calls back, debounced, after anything changes in the folders of some files. Folders, not
// the files: a certificate renewed by writing a new file and renaming it over the old one, or
// a Kubernetes secret volume (a symlink swapped in the folder), changes no watched inode. The
// callback re-reads and decides whether anything it cares about changed.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';

const WATCH_RETRY_MS = 1_000;

export interface FileWatch {
  close(): void;
}

export function watchFiles(files: readonly string[], debounceMs: number, log: Logger, onChange: () => void): FileWatch {
  const dirs = [...new Set(files.map((f) => path.dirname(path.resolve(f))))];
  const watchers = new Map<string, FSWatcher>();
  const retries = new Set<NodeJS.Timeout>();
  let debounce: NodeJS.Timeout | null = null;
  let closed = false;

  const changed = (): void => {
    if (closed) return;
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      onChange();
    }, debounceMs);
    debounce.unref();
  };

  const start = (dir: string): void => {
    if (closed) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, changed);
    } catch (err) {
      log.warn({ err, dir }, 'cannot watch a folder of watched files; retrying');
      retry(dir);
      return;
    }
    watchers.set(dir, watcher);
    watcher.on('error', (err) => {
      log.warn({ err, dir }, 'watching a folder of watched files failed; retrying');
      watcher.close();
      watchers.delete(dir);
      retry(dir);
    });
  };

  const retry = (dir: string): void => {
    const timer = setTimeout(() => {
      retries.delete(timer);
      start(dir);
      // Whatever changed while nothing watched is read now.
      changed();
    }, WATCH_RETRY_MS);
    timer.unref();
    retries.add(timer);
  };

  for (const dir of dirs) start(dir);
  return {
    close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
      for (const t of retries) clearTimeout(t);
      retries.clear();
      if (debounce !== null) clearTimeout(debounce);
    },
  };
}
