// `turnout start --config FILE` as operators run it: a separate process that becomes ready,
// serves clients, and on SIGTERM drains and exits cleanly.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { mainCluster, waitFor } from './rig.js';
import { runTurnoutCli } from './turnout-process.js';

const { Kafka, logLevel } = kafkajs;
const ROOT = resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('turnout start', () => {
  it('becomes ready, serves a client and the domain API, reloads the policy on SIGHUP, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-cli-'));
    const [bootstrapPort, adminPort] = [await freePort(), await freePort()];
    const configFile = join(dir, 'turnout.yaml');
    await writeFile(
      configFile,
      [
        'virtualCluster:',
        '  clusterId: tUrNoUtClIpRoCeSs00000',
        'listeners:',
        '  - bindHost: 127.0.0.1',
        '    advertisedHost: 127.0.0.1',
        `    bootstrapPort: ${bootstrapPort}`,
        '    nodePortBase: 0',
        'backends:',
        '  - name: main',
        '    bootstrapServers:',
        ...mainCluster().bootstrapServers.split(',').map((s) => `      - ${s}`),
        'admin:',
        '  host: 127.0.0.1',
        `  port: ${adminPort}`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configFile, '--log-level', 'info'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined);
          return res?.status === 200;
        },
        { timeoutMs: 60_000, what: 'turnout to be ready' },
      );
      const kafka = new Kafka({ clientId: 'it-cli', brokers: [`127.0.0.1:${bootstrapPort}`], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.clusterId).toBe('tUrNoUtClIpRoCeSs00000');
      expect(cluster.brokers).toHaveLength(mainCluster().brokers.length);

      const domains = await fetch(`http://127.0.0.1:${adminPort}/v1/domains`);
      expect(domains.status).toBe(200);
      child.kill('SIGHUP');
      await waitFor(() => output.includes('"msg":"reloading the policy"'), { timeoutMs: 10_000, what: 'the policy reload on SIGHUP' });
      expect(child.exitCode).toBeNull();

      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code, output.slice(-2_000)).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('asks for the admin token named by admin.auth, which turnout domains sends from --token-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-cli-'));
    const [bootstrapPort, adminPort] = [await freePort(), await freePort()];
    const configFile = join(dir, 'turnout.yaml');
    const tokenFile = join(dir, 'admin-token');
    await writeFile(tokenFile, `${randomBytes(24).toString('hex')}\n`);
    const config = (auth: string): string =>
      [
        'virtualCluster: { clusterId: tUrNoUtClItOkEn0000000 }',
        `listeners: [{ bindHost: 127.0.0.1, advertisedHost: 127.0.0.1, bootstrapPort: ${bootstrapPort}, nodePortBase: 0 }]`,
        `backends: [{ name: main, bootstrapServers: [${mainCluster().bootstrapServers}] }]`,
        `admin: { host: 127.0.0.1, port: ${adminPort}, auth: { tokenFile: ${auth} } }`,
        '',
      ].join('\n');
    const cli = (...args: string[]) => runTurnoutCli(args);
    try {
      await writeFile(configFile, config(join(dir, 'missing-token')));
      const refused = await cli('start', '--config', configFile);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('admin.auth.tokenFile: cannot read');

      await writeFile(configFile, config(tokenFile));
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configFile], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 60_000, what: 'turnout to be ready' });
        const admin = `http://127.0.0.1:${adminPort}`;
        const anonymous = await cli('domains', 'list', '--admin', admin);
        expect(anonymous.code).toBe(1);
        expect(anonymous.stderr).toContain('401 this request needs an admin token');
        const listed = await cli('domains', 'list', '--admin', admin, '--token-file', tokenFile);
        expect(listed.stdout, listed.stderr).toMatch(/^DOMAIN +OWNER/);
        const moved = await cli('domains', 'set-backend', 'default', 'main', '--admin', admin, '--token-file', tokenFile);
        expect(moved.stdout, moved.stderr).toBe('domain default: already on main (policy version 1)\n');
      } finally {
        child.kill('SIGTERM');
        if ((await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('running'), 20_000))])) === 'running') child.kill('SIGKILL');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails at start naming the bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-cli-'));
    const configFile = join(dir, 'bad.yaml');
    await writeFile(configFile, 'virtualCluster:\n  clusterId: x\nlisteners:\n  - bootstrapPort: 70000\n    nodePortBase: 0\nbackends: []\n');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(stderr).toContain('listeners[0].bootstrapPort');
      expect(stderr).toContain('backends');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
