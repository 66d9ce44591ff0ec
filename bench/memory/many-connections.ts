// A thousand well-behaved client connections held open at once: each asks Metadata at the
// bootstrap port and fetches a partition at its leader's node, and then stays connected
// (idle, as most consumers of a quiet topic are). Each one costs Turnout a client socket and
// an upstream connection to the broker.
import { ApiKey } from '../../src/codec/index.js';
import { fetchRequest, leadersOf, WireClient } from '../../test/integration/wire-client.js';

export interface ManyConnectionsPlan {
  turnoutHost: string;
  turnoutBootstrapPort: number;
  topic: string;
  connections: number;
  /** Connections opened at once. */
  concurrency: number;
  log: (line: string) => void;
}

/** Open clients, closed with `close()`. */
export interface OpenClients {
  count: number;
  close(): void;
}

export async function openManyConnections(plan: ManyConnectionsPlan): Promise<OpenClients> {
  const probe = new WireClient(plan.turnoutHost, plan.turnoutBootstrapPort);
  const view = await leadersOf(probe, [plan.topic]).finally(() => probe.close());
  const partitions = [...view.leaders.keys()].map((k) => Number(k.slice(k.lastIndexOf(':') + 1)));
  const open: WireClient[] = [];
  const close = (): void => {
    for (const c of open) c.close();
  };
  try {
    for (let first = 0; first < plan.connections; first += plan.concurrency) {
      const count = Math.min(plan.concurrency, plan.connections - first);
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const n = first + i;
          const bootstrap = new WireClient(plan.turnoutHost, plan.turnoutBootstrapPort, { clientId: `bench-memory-${n}` });
          open.push(bootstrap);
          await leadersOf(bootstrap, [plan.topic]);
          const partition = partitions[n % partitions.length] as number;
          const leader = view.nodes.get(view.leaders.get(`${plan.topic}:${partition}`) as number);
          if (leader === undefined) throw new Error(`no leader node for ${plan.topic}:${partition}`);
          const node = new WireClient(leader.host, leader.port, { clientId: `bench-memory-${n}` });
          open.push(node);
          const { body } = await node.call(ApiKey.Fetch, 12, fetchRequest([{ topic: plan.topic, partition, offset: 0n }], 64 * 1024));
          const code = body.responses[0]?.partitions[0]?.errorCode;
          if (code !== 0) throw new Error(`client ${n}: Fetch of ${plan.topic}:${partition} through Turnout answered error ${String(code)}`);
        }),
      );
      if ((first + count) % 200 === 0 || first + count === plan.connections) plan.log(`${first + count} clients connected`);
    }
  } catch (err) {
    close();
    throw err;
  }
  return { count: open.length, close };
}
