// `turnout demo --secure` once its SASL_SSL cluster is up: the workspace (Turnout's
// configuration, users and client settings), Turnout started from it, the secured flow, and
// what to tell someone who keeps it running: the configuration, each user's client settings,
// and the commands that manage users and ACLs of the running Turnout.
import type { ClusterInfo } from '../devkit/index.js';
import type { LogLevel } from '../observability/logger.js';
import type { DemoSession } from './demo-session.js';
import { runSecureDemoFlow, startSecureDemoProxy } from './secure-demo-flow.js';
import { formatSecureDemoSummary } from './secure-demo-summary.js';
import { createSecureDemoWorkspace, secureDemoBackend, SECURE_DEMO_USERS, type SecureDemoWorkspace } from './secure-demo-workspace.js';

export async function openSecureDemo(info: ClusterInfo, opts: { logLevel: LogLevel; log: (line: string) => void }): Promise<DemoSession> {
  const backend = secureDemoBackend(info);
  const workspace: SecureDemoWorkspace = await createSecureDemoWorkspace(backend, opts);
  try {
    const proxy = await startSecureDemoProxy(workspace, { logLevel: opts.logLevel });
    return {
      proxy,
      description: `clients connect to ${proxy.bootstrapServers()} over TLS with SASL SCRAM-SHA-512; it logs in to ${backend.bootstrapServers.join(',')} as ${backend.turnoutUser.username}`,
      async run(run) {
        const result = await runSecureDemoFlow(proxy, backend, workspace, run);
        return {
          ok: result.ok,
          result,
          summary: (color) => formatSecureDemoSummary(result, { color }),
          keepLines: (cli) => {
            const b = proxy.bootstrapServers();
            return [
              `  bootstrap servers  ${b} (TLS, SASL SCRAM-SHA-512)`,
              `  configuration      ${workspace.configFile}`,
              `  client settings    ${workspace.javaConfig('consumer').replace(/[^/]+$/, '')}<user>.properties (users ${Object.values(SECURE_DEMO_USERS).join(', ')})`,
              `  read with Java     ${cli} kafka tool kafka-console-consumer --bootstrap-server ${b} --consumer.config ${workspace.javaConfig('consumer')} --topic ${result.topic.name} --group orders-billing-again --from-beginning`,
              `  list the ACLs      ${cli} kafka tool kafka-acls --bootstrap-server ${b} --command-config ${workspace.javaConfig('admin')} --list`,
              `  add a user         ${cli} users add NAME --config ${workspace.configFile} --password-stdin`,
              `  Turnout metrics    curl -s http://127.0.0.1:${proxy.adminPort}/metrics | grep -E '^turnout_(authentications|authz)'`,
              `  the real cluster   ${backend.bootstrapServers.join(',')} (SASL_SSL)`,
            ];
          },
        };
      },
      dispose: (keep) => (keep ? Promise.resolve() : workspace.remove()),
    };
  } catch (err) {
    await workspace.remove();
    throw err;
  }
}
