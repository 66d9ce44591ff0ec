// Starts, once per integration run, the Kafka clusters the tests share, and hands their
// addresses to the test files through vitest's provide/inject (see rig.ts).
//
//   main     3 brokers, Kafka 4.1.1, racks az-a, az-b, az-c: always started.
//   legacy   3 brokers, Kafka 3.9.1: started lazily by the first test that asks
//            (rig.ts useCluster('legacy')), or here with TURNOUT_IT_CLUSTERS=legacy.
//   secure   1 broker, Kafka 4.1.1, small heap: SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256,
//            PLAIN) and SSL with client certificates required, beside PLAINTEXT; lazily too.
//
// TURNOUT_IT_REUSE=1 adopts clusters left running by an earlier run and leaves them running
// afterwards (fast local iteration; `turnout kafka down --all` stops them).
import type { TestProject } from 'vitest/node';
import { acquireRigCluster, releaseRigClusters, type ClusterInfo, type RigRun } from '../../src/devkit/index.js';

export interface RigContext {
  /** The shared 4.1.1 cluster. */
  main: ClusterInfo;
  /** Clusters started here for other roles (TURNOUT_IT_CLUSTERS). */
  extra: Record<string, ClusterInfo>;
  /** What workers need to start further roles lazily under the same ownership. */
  run: { ownerPid: number; reuse: boolean };
}

declare module 'vitest' {
  export interface ProvidedContext {
    turnoutKafka: RigContext;
  }
}

function log(line: string): void {
  process.stderr.write(`[kafka rig] ${line}\n`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run: RigRun = { ownerPid: process.pid, reuse: process.env.TURNOUT_IT_REUSE === '1', log };
  const extraRoles = (process.env.TURNOUT_IT_CLUSTERS ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '' && r !== 'main');
  const teardown = async (): Promise<void> => {
    // With reuse, the clusters under their role names are ownerless and stay up.
    const stopped = await releaseRigClusters(run);
    if (stopped.length > 0) log(`stopped ${stopped.join(', ')}`);
    if (run.reuse) log('leaving it-* clusters running for the next run (TURNOUT_IT_REUSE=1)');
  };
  const started = Date.now();
  try {
    const [main, ...extras] = await Promise.all([acquireRigCluster('main', run), ...extraRoles.map((role) => acquireRigCluster(role, run))]);
    const extra: Record<string, ClusterInfo> = {};
    extraRoles.forEach((role, i) => {
      extra[role] = extras[i] as ClusterInfo;
    });
    project.provide('turnoutKafka', { main: main as ClusterInfo, extra, run: { ownerPid: run.ownerPid, reuse: run.reuse } });
    log(`clusters ready in ${Math.round((Date.now() - started) / 1000)} s: main ${main?.bootstrapServers}`);
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
  return teardown;
}
