// On-CPU time of a process by category, from Linux `perf` samples: kernel, V8's garbage
// collector, V8's compiler, V8 builtins (inline caches, calls, the interpreter), JavaScript
// code, malloc/memcpy, Node and libuv bindings. V8's own sampling profiler (--cpu-prof) charges
// a function for the time its thread was descheduled too, which on a shared machine swells
// system calls that wake another process (a socket write on loopback); perf's cpu-clock
// samples count only time on a CPU, every thread included (GC and compiler helpers).
//
//   node --perf-basic-prof dist/src/cli.js start --config turnout.yaml &
//   perf record -e cpu-clock -F 999 -g -p <pid> -o turnout.data -- sleep 15
//   perf report -i turnout.data --no-children --sort sym --stdio -g none | npx tsx bench/profile/perf-categories.ts [--top N]
import { readFileSync } from 'node:fs';

export type Category = 'kernel' | 'V8 GC' | 'V8 compiler' | 'V8 builtins (IC, calls, interpreter)' | 'JavaScript' | 'malloc/memcpy' | 'Node/libuv bindings' | 'V8 runtime, other';

const RULES: ReadonlyArray<[RegExp, Category]> = [
  [/compiler::|Turbofan|Maglev|Compile|Parse|Bytecode/, 'V8 compiler'],
  [/Scaveng|MarkCompact|Marking|Sweep|Heap::|Evacuat|ArrayBufferSweeper|Worklist|RememberedSet|SlotSet|ConcurrentMarking/, 'V8 GC'],
  [/^JS:/, 'JavaScript'],
  [/^Builtins_/, 'V8 builtins (IC, calls, interpreter)'],
  [/malloc|free|memcpy|memmove|memset|_int_/, 'malloc/memcpy'],
  [/node::|uv_|uv__/, 'Node/libuv bindings'],
];

export function categoryOf(kernel: boolean, symbol: string): Category {
  if (kernel) return 'kernel';
  for (const [re, c] of RULES) if (re.test(symbol)) return c;
  return 'V8 runtime, other';
}

export interface CategoryShare {
  category: Category;
  percent: number;
}

/** Shares by category from `perf report --sort sym --stdio -g none` lines (`  12.50%  [k] finish_task_switch`). */
export function categorize(report: string): { categories: CategoryShare[]; symbols: Array<{ symbol: string; category: Category; percent: number }> } {
  const byCategory = new Map<Category, number>();
  const symbols: Array<{ symbol: string; category: Category; percent: number }> = [];
  for (const line of report.split('\n')) {
    const m = /^\s+([\d.]+)%\s+\[(.)\]\s+(.*)$/.exec(line);
    if (m === null) continue;
    const percent = Number(m[1]);
    const symbol = m[3].trim();
    const category = categoryOf(m[2] === 'k', symbol);
    byCategory.set(category, (byCategory.get(category) ?? 0) + percent);
    symbols.push({ symbol, category, percent });
  }
  const categories = [...byCategory].map(([category, percent]) => ({ category, percent })).sort((a, b) => b.percent - a.percent);
  return { categories, symbols };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].slice(process.argv[1].lastIndexOf('/') + 1))) {
  const topAt = process.argv.indexOf('--top');
  const top = topAt < 0 ? 10 : Number(process.argv[topAt + 1]);
  const { categories, symbols } = categorize(readFileSync(0, 'utf8'));
  for (const c of categories) console.log(`${c.percent.toFixed(1).padStart(5)}%  ${c.category}`);
  for (const s of symbols.slice(0, top)) console.log(`   ${s.percent.toFixed(2).padStart(5)}%  ${s.category.padEnd(36)} ${s.symbol.slice(0, 100)}`);
}
