import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePeakRss, parseProcStat, processTree, treeCpuSeconds, treePeakRssBytes, type ProcStat } from '../../../bench/proc-stats.js';

describe('parseProcStat', () => {
  it('reads ppid and CPU ticks after a command name holding spaces and parentheses', () => {
    const line = '4242 (node (worker) 1) S 4200 4242 4200 0 -1 4194560 1234 0 0 0 250 75 10 5 20 0 11 0 12345 1000000 5000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ ppid: 4200, cpuSeconds: 3.25, childrenCpuSeconds: 0.15 });
  });
});

describe('parsePeakRss', () => {
  it('takes VmHWM in bytes, NaN without it', () => {
    expect(parsePeakRss('Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n')).toBe(123_456 * 1024);
    expect(parsePeakRss('Name:\tkthreadd\n')).toBeNaN();
  });
});

describe('processTree', () => {
  it('is the root and everything below it, not its parent or siblings', () => {
    const stat = (ppid: number): ProcStat => ({ ppid, cpuSeconds: 0, childrenCpuSeconds: 0 });
    const stats = new Map([
      [1, stat(0)],
      [10, stat(1)],
      [11, stat(10)],
      [12, stat(10)],
      [13, stat(12)],
      [20, stat(1)],
    ]);
    expect(processTree(10, stats).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(processTree(99, stats)).toEqual([]);
  });
});

describe('a live process tree', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it("counts a child's CPU time in its parent's tree and the child's memory peak", async () => {
    // The child spins until it has used 300 ms of CPU (not of wall time: the machine may be busy), then idles.
    const spin = "const t0 = process.cpuUsage(); while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) < 300000) {} process.stdout.write('spun\\n'); setInterval(() => {}, 1000);";
    const before = treeCpuSeconds(process.pid);
    child = spawn(process.execPath, ['-e', spin], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => child?.stdout?.once('data', () => resolve()));
    const after = treeCpuSeconds(process.pid);
    // 10 ms clock ticks: allow one tick of rounding.
    expect(after - before).toBeGreaterThanOrEqual(0.29);
    expect(treeCpuSeconds(child.pid as number)).toBeGreaterThanOrEqual(0.29);
    expect(treePeakRssBytes(child.pid as number)).toBeGreaterThan(10 * 1024 * 1024);
    expect(treePeakRssBytes(process.pid)).toBeGreaterThan(treePeakRssBytes(child.pid as number));
  });

  it('is NaN for a process that is gone', () => {
    expect(treeCpuSeconds(2 ** 22 + 7)).toBeNaN();
  });
});
