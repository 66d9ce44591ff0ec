import { describe, expect, it } from 'vitest';
import { categorize, categoryOf } from '../../../../bench/profile/perf-categories.js';

const REPORT = `
# Samples: 449  of event 'cpu-clock'
#
    12.50%  [k] finish_task_switch.isra.0
     5.79%  [.] v8::internal::ConcurrentMarking::RunMajor
     4.61%  [.] Builtins_LoadIC
     3.01%  [.] __memmove_avx512_unaligned_erms
     1.32%  [.] v8::internal::compiler::GraphReducer::ReduceTop
     0.44%  [.] JS:*push file:///work/dist/src/net/frame-reader.js:90:9
     0.40%  [.] node::LibuvStreamWrap::OnUvRead
     0.30%  [.] v8::internal::InstructionStreamMap::FindEntry
`;

describe('perf categories', () => {
  it('puts each symbol in one category', () => {
    expect(categoryOf(true, 'tcp_sendmsg_locked')).toBe('kernel');
    expect(categoryOf(false, 'v8::internal::Sweeper::RawSweep')).toBe('V8 GC');
    expect(categoryOf(false, 'v8::internal::compiler::GraphReducer::ReduceTop')).toBe('V8 compiler');
    expect(categoryOf(false, 'Builtins_KeyedLoadIC')).toBe('V8 builtins (IC, calls, interpreter)');
    expect(categoryOf(false, 'JS:^onData file:///x.js:1:1')).toBe('JavaScript');
    expect(categoryOf(false, '_int_malloc')).toBe('malloc/memcpy');
    expect(categoryOf(false, 'uv__read')).toBe('Node/libuv bindings');
    expect(categoryOf(false, 'v8::internal::Runtime_LoadIC_Miss')).toBe('V8 runtime, other');
  });

  it('adds up a perf report by category, largest first', () => {
    const { categories, symbols } = categorize(REPORT);
    expect(categories[0]).toEqual({ category: 'kernel', percent: 12.5 });
    expect(categories.map((c) => c.category)).toEqual([
      'kernel',
      'V8 GC',
      'V8 builtins (IC, calls, interpreter)',
      'malloc/memcpy',
      'V8 compiler',
      'JavaScript',
      'Node/libuv bindings',
      'V8 runtime, other',
    ]);
    expect(symbols).toHaveLength(8);
  });
});
