// One client's result in a demo: the delivery check of what it read, or why it was not checked.
import { checkDelivery, type DeliveryReport, type ExpectedRecord } from './delivery-check.js';
import type { ConsoleRun } from './console-consumers.js';
import type { LatencySummary } from './latency-stats.js';

export interface ClientCheck {
  client: string;
  /** Set when this client is not installed: it was not checked (a warning, not a pass). */
  notInstalled?: string;
  report?: DeliveryReport;
  durationMs: number;
  /** Produce-to-consume time per record (kafkajs only: it runs while producing), ms. */
  endToEndLatencyMs?: LatencySummary;
  /** Exit code and stderr tail of a console client that failed. */
  error?: string;
}

/** The delivery check of a console client's run (kcat, the Java console consumer). */
export function consoleCheck(run: ConsoleRun, expected: readonly ExpectedRecord[]): ClientCheck {
  if (run.notInstalled !== undefined) return { client: run.client, notInstalled: run.notInstalled, durationMs: 0 };
  return {
    client: run.client,
    report: checkDelivery(run.client, expected, run.records),
    durationMs: run.durationMs,
    ...(run.errorTail !== undefined ? { error: `exit ${run.exitCode}: ${run.errorTail}` } : {}),
  };
}
