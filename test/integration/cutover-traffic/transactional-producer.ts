// The Java transactional producer of a traffic run (../java/TransactionalStream.java): a
// transaction every period across every partition, every n-th aborted with values that say
// so. Its acknowledged records go to the ledger as pending until their transaction ends;
// read_committed groups must then read the committed ones once and the aborted ones never.
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../../../src/devkit/index.js';
import { javaCommand } from '../../../src/devkit/kafka-cluster.js';
import { logConfigProperty } from '../../../src/devkit/log-config.js';
import { testProgramClasses } from '../java-test-programs.js';
import { javaLogLevel } from './client-issues.js';
import { startClientProcess } from './client-process.js';
import type { ProducerClient, TrafficContext } from './traffic-context.js';

export interface TransactionalProducerSpec {
  name: string;
  bootstrap: string;
  transactionalId: string;
  /** A transaction starts every this many ms. */
  periodMs: number;
  recordsPerTransaction: number;
  /** Every this many-th transaction is aborted. */
  abortEvery: number;
}

interface StreamLine {
  txn?: number;
  seq?: number;
  value?: string;
  partition?: number;
  offset?: number;
  sentMs?: number;
  ackedMs?: number;
  outcome?: 'committed' | 'aborted';
  done?: boolean;
}

export interface TransactionalProducerClient extends ProducerClient {
  committedTransactions(): number;
  abortedTransactions(): number;
}

export async function startTransactionalProducer(ctx: TrafficContext, spec: TransactionalProducerSpec): Promise<TransactionalProducerClient> {
  const [classes, install] = await Promise.all([testProgramClasses(), ensureKafka(TOOLS_KAFKA_VERSION)]);
  const args = [
    '-Xms32m', '-Xmx192m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true',
    logConfigProperty(TOOLS_KAFKA_VERSION, install.toolLogConfig),
    '-cp', `${classes}:${install.classpath}`, 'TransactionalStream',
    spec.bootstrap, spec.transactionalId, ctx.topic, String(spec.periodMs), String(spec.recordsPerTransaction), String(spec.abortEvery),
    `client.id=${spec.name}`,
  ];
  let acked = 0;
  const ends = { committed: 0, aborted: 0 };
  const client = await startClientProcess(ctx, {
    name: spec.name,
    command: javaCommand(),
    args,
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line) as StreamLine;
      if (e.txn === undefined) return;
      if (e.outcome !== undefined) {
        ctx.ledger.endTransaction(spec.name, e.txn, e.outcome);
        ends[e.outcome]++;
      } else if (e.partition !== undefined && e.offset !== undefined && e.seq !== undefined && e.value !== undefined) {
        ctx.ledger.ack(e.partition, e.offset, { producer: spec.name, seq: e.seq, value: e.value, txn: e.txn });
        if (e.sentMs !== undefined && e.ackedMs !== undefined) ctx.latency.add(spec.name, e.sentMs, e.ackedMs);
        acked++;
      }
    },
    levelOf: javaLogLevel,
    // Stdin closed: it ends the transaction under way as planned, then exits 0.
    stopBy: 'stdin',
    stopGraceMs: 60_000,
  });
  return {
    ...client,
    acked: () => acked,
    committedTransactions: () => ends.committed,
    abortedTransactions: () => ends.aborted,
  };
}
