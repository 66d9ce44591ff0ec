// The follower-stop scenario: while records flow, the broker of one zone is stopped (with one
// broker per zone and RF 3 it leads some partitions and follows the rest, so leadership moves
// too), kept down for a while, started again, and waited for until it is back in the ISR of
// every partition of the run's topic. Turnout's fetch counts are read at each step, so the
// run can show where that zone's consumers fetched from while the broker was down (another
// zone's leader) and after it caught up (their zone's replica again).
import { setTimeout as sleep } from 'node:timers/promises';
import { startBroker, stopBroker } from '../../src/devkit/index.js';
import { tallyBetween, type TurnoutTally, type ZoneViews } from './turnout-zone-view.js';
import type { ZoneRig } from './zone-bench.js';
import { describeZoneTopic, parseIsr } from './zone-topic.js';

export interface FollowerStopSpec {
  /** The zone whose broker is stopped. */
  zone: string;
  /** How long it stays down. */
  downMs: number;
  /** Share of the records produced before it is stopped. */
  afterFraction: number;
  /**
   * Time after the catch-up before the "settled" reading: Turnout learns that the replica is
   * back from its next topology refresh, so give it one refresh interval and a little. (default 0)
   */
  settleMs?: number;
  /**
   * Where the run's consumer group is coordinated. `elsewhere` (default): on a broker that keeps
   * running, so the run is about the replica and leaders moving, and every record must be
   * consumed exactly once. `stopped-broker`: on the broker that is stopped, so the coordinator
   * moves too; members rejoin and read again what they had not committed (Kafka's
   * at-least-once group resume), which the run checks instead.
   */
  coordinator?: 'elsewhere' | 'stopped-broker';
}

export interface FollowerStopReport {
  zone: string;
  brokerId: number;
  /** From the stop to the start of the restart. */
  downMs: number;
  /** From the restart to the broker in every partition's ISR. */
  rejoinMs: number;
  /** Records produced (all zones) when the broker stopped, when it was back in sync, and `settleMs` later. */
  producedAtStop: number;
  producedAtCatchUp: number;
  producedAtSettle: number;
  settleMs: number;
  /** Turnout's counts while the broker was down, from its catch-up to the end of the run, and from `settleMs` later. */
  whileDown?: TurnoutTally;
  afterCatchUp?: TurnoutTally;
  afterSettle?: TurnoutTally;
}

export class FollowerStop {
  private report: Omit<FollowerStopReport, 'afterCatchUp' | 'afterSettle'> | undefined;
  private caughtUpViews: ZoneViews | undefined;
  private settledViews: ZoneViews | undefined;

  constructor(
    private readonly zoneRig: ZoneRig,
    private readonly topic: string,
    private readonly spec: FollowerStopSpec,
    private readonly views: (() => Promise<ZoneViews>) | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The broker this scenario stops: the one in its zone. */
  brokerId(): number {
    const broker = this.zoneRig.cluster.brokers.find((b) => b.rack === this.spec.zone);
    if (broker === undefined) throw new Error(`no broker in zone ${this.spec.zone} (racks: ${this.zoneRig.cluster.brokers.map((b) => b.rack).join(', ')})`);
    return broker.id;
  }

  /** The broker the run's consumer group is to be coordinated by (see FollowerStopSpec.coordinator). */
  coordinatorId(): number {
    const stopped = this.brokerId();
    if (this.spec.coordinator === 'stopped-broker') return stopped;
    const other = this.zoneRig.cluster.brokers.find((b) => b.id !== stopped);
    if (other === undefined) throw new Error(`no broker besides ${stopped} to coordinate the group`);
    return other.id;
  }

  /** Stops, waits, restarts and waits for the ISR; for WorkloadSpec.midRun. */
  async run(producedSoFar: () => number): Promise<void> {
    const { cluster, layout } = this.zoneRig;
    const brokerId = this.brokerId();
    const producedAtStop = producedSoFar();
    const atStop = await this.views?.();
    const stoppedAt = Date.now();
    this.log(`follower stop: stopping broker ${brokerId} (${this.spec.zone}) after ${producedAtStop} records`);
    await stopBroker(cluster.cluster, brokerId, { timeoutMs: 30_000 });
    await sleep(Math.max(0, this.spec.downMs - (Date.now() - stoppedAt)));
    const atRestart = await this.views?.();
    const restartAt = Date.now();
    this.log(`follower stop: starting broker ${brokerId} again after ${restartAt - stoppedAt} ms`);
    await startBroker(cluster.cluster, brokerId, { readyTimeoutMs: 120_000, log: this.log });
    for (;;) {
      const isr = parseIsr(await describeZoneTopic(layout, cluster, this.topic));
      const lagging = [...isr].filter(([, ids]) => !ids.includes(brokerId)).map(([p]) => p);
      if (isr.size > 0 && lagging.length === 0) break;
      if (Date.now() - restartAt > 120_000) throw new Error(`broker ${brokerId} not back in the ISR of ${this.topic} within 120 s (partitions ${lagging.join(', ')})`);
      await sleep(1_000);
    }
    this.caughtUpViews = await this.views?.();
    const rejoinMs = Date.now() - restartAt;
    const producedAtCatchUp = producedSoFar();
    this.log(`follower stop: broker ${brokerId} in every ISR ${rejoinMs} ms after its restart, ${producedAtCatchUp} records produced`);
    const settleMs = this.spec.settleMs ?? 0;
    if (settleMs > 0) {
      await sleep(settleMs);
      this.settledViews = await this.views?.();
    }
    this.report = {
      zone: this.spec.zone,
      brokerId,
      downMs: restartAt - stoppedAt,
      rejoinMs,
      producedAtStop,
      producedAtCatchUp,
      producedAtSettle: producedSoFar(),
      settleMs,
      ...(atStop !== undefined && atRestart !== undefined ? { whileDown: tallyBetween(atStop, atRestart) } : {}),
    };
  }

  /** The report, given the mode's counts at the end of the run. */
  finish(endViews: ZoneViews | undefined): FollowerStopReport {
    if (this.report === undefined) throw new Error('the follower-stop scenario did not run (the run produced too few records?)');
    return {
      ...this.report,
      ...(this.caughtUpViews !== undefined && endViews !== undefined ? { afterCatchUp: tallyBetween(this.caughtUpViews, endViews) } : {}),
      ...(this.settledViews !== undefined && endViews !== undefined ? { afterSettle: tallyBetween(this.settledViews, endViews) } : {}),
    };
  }
}
