// One run of a demo once its clusters are up, plain or secured: Turnout in front of them, the
// flow, its result for JSON and for people, what to tell someone who keeps it running, and the
// cleanup of what the run wrote. `demo-run.ts` drives either the same way.
import type { LogLevel } from '../observability/logger.js';
import type { ProxyHandle } from '../proxy.js';
import { runDemoFlow, startDemoProxy, type DemoResult, type DemoTurnout } from './demo-flow.js';
import { formatDemoSummary } from './demo-summary.js';
import { DEMO_ZONES, type DemoBackends } from './demo-workspace.js';

export interface DemoOutcome {
  ok: boolean;
  /** The flow's result, for --json. */
  result: unknown;
  summary(color: boolean): string[];
  /** How to reach what keeps running with --keep (bootstrap, client settings, commands). */
  keepLines(cli: string): string[];
}

export interface DemoSession {
  readonly proxy: ProxyHandle;
  /** What the session started, for the progress line. */
  readonly description: string;
  run(opts: { records: number; cutovers?: number; log: (line: string) => void; signal: AbortSignal }): Promise<DemoOutcome>;
  /** Removes what the session wrote (Turnout is closed by the caller); nothing with `keep`. */
  dispose(keep: boolean): Promise<void>;
}

function keepLines(turnout: DemoTurnout, backends: DemoBackends, result: DemoResult, cli: string): string[] {
  const a = turnout.bootstrap('az-a');
  const orders = result.topics[0]?.name ?? 'orders.events';
  const token = turnout.workspace.adminTokenFile;
  const line = (label: string, text: string): string => `  ${label.padEnd(18)} ${text}`;
  const lines = [
    ...DEMO_ZONES.map((z) => line(`bootstrap in ${z}`, turnout.bootstrap(z))),
    line('read with kcat', `kcat -b ${a} -C -t ${orders} -o beginning -e`),
    line('read with Java', `${cli} kafka tool kafka-console-consumer --bootstrap-server ${a} --topic ${orders} --from-beginning`),
    line('zone view', `curl -s ${turnout.adminUrl}/v1/zones`),
    line('Turnout metrics', `curl -s ${turnout.adminUrl}/metrics | grep '^turnout_'`),
    line('configuration', `${turnout.workspace.configFile} (admin token in ${token})`),
  ];
  if (result.cutover.status === 'switched') {
    const orders = turnout.workspace.domains.orders;
    const now = result.domains[0]?.now ?? orders.backend;
    const other = now === orders.backend ? orders.migrationTarget : orders.backend;
    lines.push(line('move orders again', `${cli} cutover start ${orders.name} --to ${other} --admin ${turnout.adminUrl} --token-file ${token}`));
    lines.push(line('its segments', `${cli} cutover status ${orders.name} --admin ${turnout.adminUrl} --token-file ${token}`));
  }
  lines.push(line('the real clusters', `east ${backends.east.bootstrapServers.join(',')}, west ${backends.west.bootstrapServers.join(',')}`));
  return lines;
}

export async function openPlainDemo(backends: DemoBackends, opts: { logLevel: LogLevel }): Promise<DemoSession> {
  const turnout = await startDemoProxy(backends, { logLevel: opts.logLevel });
  return {
    proxy: turnout.proxy,
    description: `clients connect to ${DEMO_ZONES.map((z) => turnout.bootstrap(z)).join(', ')} (zones ${DEMO_ZONES.join(', ')}); it fronts east (${backends.east.bootstrapServers.join(',')}) and west (${backends.west.bootstrapServers.join(',')})`,
    async run(run) {
      const result = await runDemoFlow(turnout, backends, { records: run.records, log: run.log, signal: run.signal, ...(run.cutovers !== undefined ? { cutovers: run.cutovers } : {}) });
      return {
        ok: result.ok,
        result,
        summary: (color) => formatDemoSummary(result, { color }),
        keepLines: (cli) => keepLines(turnout, backends, result, cli),
      };
    },
    dispose: async (keep) => {
      if (!keep) await turnout.workspace.remove();
    },
  };
}
