// One run of a demo once its cluster is up, plain or secured: Turnout in front of the cluster,
// the flow, its result for JSON and for people, what to tell someone who keeps it running,
// and the cleanup of what the run wrote. `demo-run.ts` drives either the same way.
import type { LogLevel } from '../observability/logger.js';
import type { ProxyHandle } from '../proxy.js';
import { runDemoFlow, startDemoProxy, type DemoBackend } from './demo-flow.js';
import { formatDemoSummary } from './demo-summary.js';

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
  run(opts: { records: number; log: (line: string) => void; signal: AbortSignal }): Promise<DemoOutcome>;
  /** Removes what the session wrote (Turnout is closed by the caller); nothing with `keep`. */
  dispose(keep: boolean): Promise<void>;
}

export async function openPlainDemo(backend: DemoBackend, opts: { logLevel: LogLevel }): Promise<DemoSession> {
  const proxy = await startDemoProxy(backend, { logLevel: opts.logLevel });
  return {
    proxy,
    description: `clients connect to ${proxy.bootstrapServers()}; it fronts ${backend.bootstrapServers.join(',')}`,
    async run(run) {
      const result = await runDemoFlow(proxy, backend, run);
      return {
        ok: result.ok,
        result,
        summary: (color) => formatDemoSummary(result, { color }),
        keepLines: (cli) => {
          const b = proxy.bootstrapServers();
          return [
            `  bootstrap servers  ${b}`,
            `  read with kcat     kcat -b ${b} -C -t ${result.topic.name} -o beginning -e`,
            `  read with Java     ${cli} kafka tool kafka-console-consumer --bootstrap-server ${b} --topic ${result.topic.name} --from-beginning`,
            `  Turnout metrics    curl -s http://127.0.0.1:${proxy.adminPort}/metrics | grep '^turnout_'`,
            `  the real cluster   ${backend.bootstrapServers.join(',')}`,
          ];
        },
      };
    },
    dispose: async () => undefined,
  };
}
