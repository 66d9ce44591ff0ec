// Hundreds of well-behaved client connections to Turnout at once, from a child process
// (client-crowd-process.ts), so that memory read in the test process is Turnout's alone.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';

const PROCESS = join(dirname(fileURLToPath(import.meta.url)), 'client-crowd-process.ts');

export interface CrowdReport {
  clients: number;
  /** Clients whose ApiVersions, Metadata, Produce and Fetch all succeeded. */
  ok: number;
  /** What went wrong, for the first failures. */
  failures: string[];
}

export interface ClientCrowd {
  report: CrowdReport;
  /** Closes every client connection and waits for the process to exit. */
  leave(): Promise<void>;
}

/** Starts `clients` clients against Turnout's bootstrap and resolves once every one has done its round; they stay connected until `leave`. */
export async function gatherClientCrowd(host: string, bootstrapPort: number, topic: string, clients: number, timeoutMs = 120_000): Promise<ClientCrowd> {
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS, host, String(bootstrapPort), topic, String(clients)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-8_000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  const leave = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited.finally(() => clearTimeout(timer));
  };
  if (expect.getState().currentTestName !== undefined) onTestFinished(leave);
  const report = await new Promise<CrowdReport>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the client crowd did not report within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as CrowdReport);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the client crowd exited with ${code} before reporting; stderr: ${stderr}`));
    });
  });
  return { report, leave };
}
