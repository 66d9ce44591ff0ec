// Turnout over the rig's two clusters (3 brokers each) warns at start when a listener has
// fewer of its own nodes than the backends have brokers together (a node then stands for a
// broker of each, and its Fetches are gathered), and says nothing with a node per broker.
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { mainCluster, useCluster, type ClusterInfo } from './rig.js';
import { twoDomainConfig } from './two-domain-turnout.js';

interface LogLine {
  level: number;
  msg: string;
}

let main: ClusterInfo;
let legacy: ClusterInfo;
const proxies: ProxyHandle[] = [];

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
}, 300_000);

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
});

/** Turnout with `nodes` nodes over both clusters; resolves once ready, with the warnings it logged. */
async function start(nodes: number): Promise<LogLine[]> {
  const warnings: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.trim() === '') continue;
        const line = JSON.parse(text) as LogLine;
        if (line.level >= 40) warnings.push(line);
      }
      done();
    },
  });
  const config = twoDomainConfig({
    clusterId: 'tUrNoUtNoDeCoUnTaDvIcE',
    main,
    legacy,
    orders: 'nca-o-',
    payments: 'nca-p-',
    listener: { name: 'inside', bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes },
  });
  proxies.push(await startProxy(config, { logger: createLogger({ level: 'warn', destination: sink }), waitForReadyMs: 60_000 }));
  return warnings;
}

describe('node count advice', () => {
  it('warns once of a listener with fewer nodes than brokers, naming the count to set', async () => {
    const brokers = main.brokers.length + legacy.brokers.length;
    const warnings = await start(3);
    const advice = warnings.filter((w) => w.msg.includes('nodes for'));
    expect(advice.map((w) => w.msg)).toEqual([
      expect.stringContaining(`listener inside has 3 nodes for ${brokers} brokers (main ${main.brokers.length}, legacy ${legacy.brokers.length})`),
    ]);
    expect(advice[0]?.msg).toContain(`set listeners[].nodes to at least ${brokers}`);
  });

  it('says nothing with a node per broker', async () => {
    const warnings = await start(main.brokers.length + legacy.brokers.length);
    expect(warnings.filter((w) => w.msg.includes('nodes for'))).toEqual([]);
  });
});
