// A client of a traffic run that is a process of its own (a Java tool or program, a Python
// script): its stdout lines go to the caller, its stderr lines are classified into the
// client's issues, and it is an error when it ends by itself before it was asked to stop, or
// does not end cleanly when asked.
import type { IssueLevel } from './client-issues.js';
import { LineProcess, type ProcessEnd } from './line-process.js';
import type { TrafficClient, TrafficContext } from './traffic-context.js';

export interface ClientProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  onLine(line: string): void;
  /** The level of a stderr line, or null when it is not an issue. */
  levelOf(line: string): IssueLevel | null;
  /** How it is asked to stop: its stdin closed, or SIGTERM (Java tools: their shutdown hook). */
  stopBy: 'stdin' | 'SIGTERM';
  /** How long it may take to stop before it is killed. */
  stopGraceMs: number;
  /**
   * Exit codes of a clean stop; default [0]. A Java tool stopped with SIGTERM runs its
   * shutdown hook (flush, leave the group, print its totals) and then exits with 143.
   */
  cleanCodes?: readonly number[];
}

function describeEnd(end: ProcessEnd): string {
  return end.signal ?? `code ${end.code}`;
}

export async function startClientProcess(ctx: TrafficContext, spec: ClientProcessSpec): Promise<TrafficClient> {
  let stopping = false;
  const proc = await LineProcess.start({
    name: spec.name,
    command: spec.command,
    args: spec.args,
    onStdout: spec.onLine,
    onStderr: (line) => {
      const level = spec.levelOf(line);
      if (level !== null) ctx.issues(spec.name).note(level, line, ctx.phase());
    },
  });
  void proc.ended.then((end) => {
    if (!stopping) ctx.issues(spec.name).note('error', `exited by itself (${describeEnd(end)})`, ctx.phase());
  });
  return {
    name: spec.name,
    async stop() {
      stopping = true;
      const end = await proc.stop(spec.stopBy, spec.stopGraceMs);
      if (end.code === null || !(spec.cleanCodes ?? [0]).includes(end.code)) ctx.issues(spec.name).note('error', `did not stop cleanly (${describeEnd(end)})`, ctx.phase());
    },
    kill: () => proc.kill(),
  };
}
