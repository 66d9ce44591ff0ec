// Lines captured from kcat 1.7 and Kafka 4.1.1's console consumer reading a two-partition
// topic with the options the demo passes them.
import { describe, expect, it } from 'vitest';
import { parseConsoleConsumerLines, parseKcatLines } from '../../../src/demo/console-consumers.js';

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
