// Lines captured from kcat 1.7 and Kafka 4.1.1's console consumer reading a two-partition
// topic with the options the demo passes them.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumeWithKcat, parseConsoleConsumerLines, parseKcatLines } from '../../../src/demo/console-consumers.js';

describe('parseKcatLines', () => {
  it('reads partition, offset, key and value', () => {
    const out = '1\t0\tk1\t{"a":1}\n1\t1\tk2\t{"b":2}\n0\t0\tk3\tplain value\n0\t1\t\tnokey\n';
    expect(parseKcatLines(out)).toEqual([
      { partition: 1, offset: 0, key: 'k1', value: '{"a":1}' },
      { partition: 1, offset: 1, key: 'k2', value: '{"b":2}' },
      { partition: 0, offset: 0, key: 'k3', value: 'plain value' },
      { partition: 0, offset: 1, key: '', value: 'nokey' },
    ]);
  });

  it('keeps tabs inside a value and skips lines that are not records', () => {
    expect(parseKcatLines('% Reached end of topic\n2\t5\tk\ta\tb\nx\ty\tz\tw\n')).toEqual([{ partition: 2, offset: 5, key: 'k', value: 'a\tb' }]);
  });
});

describe('parseConsoleConsumerLines', () => {
  it('reads Partition:, Offset:, key and value', () => {
    const out = [
      'Partition:1\tOffset:0\tk1\t{"a":1}',
      'Partition:1\tOffset:1\tk2\t{"b":2}',
      'Partition:0\tOffset:0\tk3\tplain value',
      'Partition:0\tOffset:1\tnull\tnokey',
      '',
    ].join('\n');
    expect(parseConsoleConsumerLines(out)).toEqual([
      { partition: 1, offset: 0, key: 'k1', value: '{"a":1}' },
      { partition: 1, offset: 1, key: 'k2', value: '{"b":2}' },
      { partition: 0, offset: 0, key: 'k3', value: 'plain value' },
      { partition: 0, offset: 1, key: null, value: 'nokey' },
    ]);
  });

  it('ignores log lines mixed into stdout', () => {
    expect(parseConsoleConsumerLines('[2025-01-01 00:00:00,000] WARN something\nProcessed a total of 3 messages\n')).toEqual([]);
  });
});

describe('consumeWithKcat when kcat cannot start', () => {
  it('reports a kcat that is not installed as not installed', async () => {
    const run = await consumeWithKcat('127.0.0.1:1', 't', 1, { timeoutMs: 10_000, command: join(tmpdir(), 'no-such-kcat-here') });
    expect(run.notInstalled).toMatch(/is not installed \(npm run setup installs it\)$/);
    expect(run.records).toEqual([]);
  });

  it('counts any other spawn error as a failed run, not as not installed', async () => {
    // A directory is found but cannot be executed: EACCES.
    const run = await consumeWithKcat('127.0.0.1:1', 't', 1, { timeoutMs: 10_000, command: tmpdir() });
    expect(run.notInstalled).toBeUndefined();
    expect(run.exitCode).toBeNull();
    expect(run.errorTail).toMatch(/could not be started: .*EACCES/);
  });
});
