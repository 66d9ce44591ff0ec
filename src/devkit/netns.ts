// Running a process inside a Linux network namespace (`ip netns exec NAME cmd ...`). `ip`
// execs the command in place, so the pid of the spawned child is the command's own pid and
// the pid-file bookkeeping of node-process.ts works unchanged.

const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Namespace names become command arguments and /run/netns file names: keep them plain. */
export function checkNetnsName(name: string): string {
  if (!NETNS_NAME.test(name) || name.includes('..')) throw new Error(`invalid network namespace name ${JSON.stringify(name)}`);
  return name;
}

export interface Command {
  command: string;
  args: string[];
}

/** The command line that runs `command args` in `netns`, or unchanged when netns is undefined. */
export function inNetns(netns: string | undefined, command: string, args: readonly string[]): Command {
  if (netns === undefined) return { command, args: [...args] };
  return { command: 'ip', args: ['netns', 'exec', checkNetnsName(netns), command, ...args] };
}

// Node cannot enter another namespace itself (no setns), so a TCP connection into one is
// made by a tiny Node process started there that pipes its stdin and stdout to the socket.
// A refused or failed connection ends it with exit code 2 and the reason on stderr.
const RELAY_SOURCE = [
  "const net = require('node:net');",
  'const s = net.connect(Number(process.argv[2]), process.argv[1]);',
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
  "s.on('error', (e) => { process.stderr.write(e.message); process.exit(2); });",
  "s.on('close', () => process.exit(0));",
].join('\n');

/** The command that opens a TCP connection to host:port inside `netns`, carried over stdio. */
export function tcpRelayCommand(netns: string, host: string, port: number): Command {
  return inNetns(netns, process.execPath, ['-e', RELAY_SOURCE, host, String(port)]);
}
