// glibc's allocator settings for a running proxy.
//
// Nearly every socket read becomes a buffer of its own (a copy out of the shared read buffer,
// or a buffer read into directly): tens to hundreds of KiB each, freed a moment later. At
// glibc's defaults the top of the heap is handed back to the kernel once more than a few
// hundred KiB of it are free, and large blocks are mapped fresh, so the next read's buffer is
// new memory again: every page of it faults in and is zeroed by the kernel before the copy.
// Measured (bench/README.md, "Freed memory kept by the allocator"): 16,000 page faults per
// 200 MB produced at the defaults, 27 with these settings, and 5 to 12% less CPU per MB
// produced. The price is that up to `trim_threshold` of freed memory stays resident after a
// burst instead of going back to the system.
//
// glibc reads GLIBC_TUNABLES once, when the process starts: `bin/turnout` sets it before it
// starts Node, and a primary sets it for the workers it forks. Settings the operator gave win.

/** Freed memory at the top of the heap kept before any goes back to the system (64 MiB). */
export const TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024;
/** Blocks at least this large are mapped on their own (4 MiB); smaller ones come from the heap. */
export const MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** The tunables Turnout sets, by name; `bin/turnout` carries the same list. */
export const TURNOUT_MALLOC_TUNABLES: ReadonlyArray<readonly [string, number]> = [
  ['glibc.malloc.trim_threshold', TRIM_THRESHOLD_BYTES],
  ['glibc.malloc.mmap_threshold', MMAP_THRESHOLD_BYTES],
];

function namesIn(tunables: string): Set<string> {
  return new Set(
    tunables
      .split(':')
      .map((t) => t.split('=')[0].trim())
      .filter((n) => n !== ''),
  );
}

/** GLIBC_TUNABLES with Turnout's settings added for every name the current value does not set. */
export function withMallocTunables(current: string | undefined): string {
  const given = namesIn(current ?? '');
  const added = TURNOUT_MALLOC_TUNABLES.filter(([name]) => !given.has(name)).map(([name, value]) => `${name}=${value}`);
  return [...(current === undefined || current === '' ? [] : [current]), ...added].join(':');
}

/** What the process was started with, for its start-up log line. */
export interface AllocatorSettings {
  /** Turnout's tunables the environment sets (by Turnout's launcher or the operator). */
  readonly set: readonly string[];
  /** Turnout's tunables it does not set: freed memory goes back to the system at glibc's defaults. */
  readonly missing: readonly string[];
}

export function allocatorSettings(glibcTunables: string | undefined): AllocatorSettings {
  const given = namesIn(glibcTunables ?? '');
  const names = TURNOUT_MALLOC_TUNABLES.map(([name]) => name);
  return { set: names.filter((n) => given.has(n)), missing: names.filter((n) => !given.has(n)) };
}

/** Whether this process runs on glibc, where the tunables mean anything. */
export function onGlibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}
