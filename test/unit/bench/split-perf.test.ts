import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSplitConsume, parseSplitProduce, routeArgs, splitPerfSource, SplitPerfError } from '../../../bench/split-perf.js';

const PRODUCE_LINE =
  '{"mode":"produce","clients":1,"records":20000,"errors":0,"requests":1234,"elapsedMs":4869.4,"recordsPerSec":4107.3,"mbPerSec":4.011,' +
  '"p50Us":2124522,"p90Us":3885252,"p99Us":4210694,"p999Us":4265572,"maxUs":4286186,"avgUs":2149114.9}';

describe('parseSplitProduce', () => {
  it('reads the JSON result line among client log lines', () => {
    const stdout = ['[2026-11-27 01:33:05,229] WARN [Producer clientId=turnout-bench-split-1] metadata (org.apache.kafka.clients.NetworkClient)', PRODUCE_LINE, ''].join('\n');
    expect(parseSplitProduce(stdout)).toEqual({
      clients: 1,
      records: 20_000,
      errors: 0,
      requests: 1_234,
      elapsedMs: 4869.4,
      recordsPerSec: 4107.3,
      mbPerSec: 4.011,
      p50Us: 2_124_522,
      p90Us: 3_885_252,
      p99Us: 4_210_694,
      p999Us: 4_265_572,
      maxUs: 4_286_186,
      avgUs: 2149114.9,
    });
  });

  it('refuses output without a result line, a line of the other mode, or a field that is not a number', () => {
    expect(() => parseSplitProduce('SplitPerf: java.lang.IllegalStateException: boom\n')).toThrow(SplitPerfError);
    expect(() => parseSplitProduce('{"mode":"consume","clients":1,"records":1,"bytes":1,"elapsedMs":1,"recordsPerSec":1,"mbPerSec":1}')).toThrow(/no produce result line/);
    expect(() => parseSplitProduce(PRODUCE_LINE.replace('"p99Us":4210694', '"p99Us":"NaN"'))).toThrow(/no number in field p99Us/);
    expect(() => parseSplitProduce('{"mode":"produce", truncated')).toThrow(/not JSON/);
  });
});

describe('parseSplitConsume', () => {
  it('reads the consume result line', () => {
    const stdout = '{"mode":"consume","clients":2,"records":20000,"bytes":20480000,"elapsedMs":752.3,"recordsPerSec":26584.1,"mbPerSec":25.961}\n';
    expect(parseSplitConsume(stdout)).toEqual({ clients: 2, records: 20_000, bytes: 20_480_000, elapsedMs: 752.3, recordsPerSec: 26584.1, mbPerSec: 25.961 });
  });
});

describe('routeArgs', () => {
  it('passes each route as topic@bootstrap, bootstrap lists kept whole', () => {
    expect(routeArgs([{ topic: 'bench-a.tput', bootstrap: '127.0.0.1:1,127.0.0.1:2' }, { topic: 'bench-b.tput', bootstrap: '127.0.0.1:3' }])).toEqual([
      '--route',
      'bench-a.tput@127.0.0.1:1,127.0.0.1:2',
      '--route',
      'bench-b.tput@127.0.0.1:3',
    ]);
  });
});

describe('splitPerfSource', () => {
  it('finds SplitPerf.java in the repo', () => {
    expect(splitPerfSource()).toMatch(/bench[/\\]SplitPerf\.java$/);
    expect(existsSync(splitPerfSource())).toBe(true);
  });
});
