// Checks what a consumer received against what the producer was acknowledged for: every
// acknowledged record arrives exactly once, byte for byte, and in offset order per partition.
// The producer side knows each record's partition and offset from the produce acks, so the
// check needs no assumption about how the consumer or the proxy split the work.

export interface ExpectedRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface ReceivedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  /** Absent when the client does not report headers (then they are not compared). */
  headers?: Record<string, string>;
}

export interface PartitionDelivery {
  partition: number;
  expected: number;
  received: number;
}

export interface DeliveryReport {
  /** Which client consumed (kafkajs, kcat, ...). */
  client: string;
  expected: number;
  /** Records received, duplicates and strays included. */
  received: number;
  /** Expected records never received. */
  missing: number;
  /** Records received more than once. */
  duplicates: number;
  /** Received with a key, value or headers other than what was produced. */
  corrupted: number;
  /** Received at an offset lower than one already received on the same partition. */
  outOfOrder: number;
  /** Received at a partition/offset nothing was produced to. */
  unexpected: number;
  perPartition: PartitionDelivery[];
  /** The first few problems, spelled out. */
  problems: string[];
  ok: boolean;
}

const MAX_PROBLEMS = 10;

function sameHeaders(want: Record<string, string>, got: Record<string, string>): boolean {
  const wantKeys = Object.keys(want);
  if (wantKeys.length !== Object.keys(got).length) return false;
  return wantKeys.every((k) => got[k] === want[k]);
}

function show(text: string | null): string {
  if (text === null) return 'null';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Compares `received` (in arrival order) with `expected`. */
export function checkDelivery(client: string, expected: readonly ExpectedRecord[], received: readonly ReceivedRecord[]): DeliveryReport {
  const report: DeliveryReport = {
    client,
    expected: expected.length,
    received: received.length,
    missing: 0,
    duplicates: 0,
    corrupted: 0,
    outOfOrder: 0,
    unexpected: 0,
    perPartition: [],
    problems: [],
    ok: false,
  };
  const note = (problem: string): void => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(problem);
  };
  const byPartition = new Map<number, Map<number, ExpectedRecord>>();
  const partitionCounts = new Map<number, PartitionDelivery>();
  const counts = (partition: number): PartitionDelivery => {
    let c = partitionCounts.get(partition);
    if (c === undefined) {
      c = { partition, expected: 0, received: 0 };
      partitionCounts.set(partition, c);
    }
    return c;
  };
  for (const e of expected) {
    let offsets = byPartition.get(e.partition);
    if (offsets === undefined) {
      offsets = new Map();
      byPartition.set(e.partition, offsets);
    }
    offsets.set(e.offset, e);
    counts(e.partition).expected++;
  }

  const seen = new Map<number, Set<number>>();
  const lastOffset = new Map<number, number>();
  for (const r of received) {
    counts(r.partition).received++;
    const where = `partition ${r.partition} offset ${r.offset}`;
    let seenHere = seen.get(r.partition);
    if (seenHere === undefined) {
      seenHere = new Set();
      seen.set(r.partition, seenHere);
    }
    if (seenHere.has(r.offset)) {
      report.duplicates++;
      note(`${where}: received again`);
      continue;
    }
    seenHere.add(r.offset);
    const last = lastOffset.get(r.partition);
    if (last !== undefined && r.offset < last) {
      report.outOfOrder++;
      note(`${where}: arrived after offset ${last}`);
    } else {
      lastOffset.set(r.partition, r.offset);
    }
    const want = byPartition.get(r.partition)?.get(r.offset);
    if (want === undefined) {
      report.unexpected++;
      note(`${where}: nothing was produced there (key ${show(r.key)})`);
      continue;
    }
    if (r.key !== want.key || r.value !== want.value) {
      report.corrupted++;
      note(`${where}: got key ${show(r.key)} value ${show(r.value)}, produced key ${show(want.key)} value ${show(want.value)}`);
    } else if (r.headers !== undefined && !sameHeaders(want.headers, r.headers)) {
      report.corrupted++;
      note(`${where}: got headers ${JSON.stringify(r.headers)}, produced ${JSON.stringify(want.headers)}`);
    }
  }
  for (const e of expected) {
    if (seen.get(e.partition)?.has(e.offset) !== true) {
      report.missing++;
      note(`partition ${e.partition} offset ${e.offset}: never received (key ${show(e.key)})`);
    }
  }
  report.perPartition = [...partitionCounts.values()].sort((a, b) => a.partition - b.partition);
  report.ok = report.missing + report.duplicates + report.corrupted + report.outOfOrder + report.unexpected === 0 && expected.length > 0;
  return report;
}
