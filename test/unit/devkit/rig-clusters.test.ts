import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterDir } from '../../../src/devkit/devkit-paths.js';
import { readRecord, writeRecord, type ClusterRecord } from '../../../src/devkit/cluster-record.js';
import { rigClusterName, rigSpec, type RigRun } from '../../../src/devkit/rig-clusters.js';

const DEAD_PID = 999_999_999;

describe('rig cluster names', () => {
  const roots: string[] = [];
  afterEach(async () => {
    await Promise.all(roots.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function cacheWith(ownerPid: number | undefined): Promise<string> {
    const root = await mkdtemp(`${tmpdir()}/turnout-rig-`);
    roots.push(root);
    const record: ClusterRecord = {
      name: 'it-main',
      version: '4.1.1',
      clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
      host: '127.0.0.1',
      controller: { id: 100, port: 20_003 },
      brokers: [{ id: 1, port: 20_000, rack: 'az-a' }],
      heapMb: 512,
      brokerConfig: {},
      ...(ownerPid !== undefined ? { ownerPid } : {}),
      createdAt: new Date().toISOString(),
    };
    await mkdir(clusterDir('it-main', root), { recursive: true });
    await writeRecord(record, root);
    return root;
  }

  function run(root: string, reuse: boolean): RigRun {
    return { ownerPid: process.pid, reuse, cacheRoot: root };
  }

  it('takes the role name when it is free or already this run\'s', async () => {
    const root = await mkdtemp(`${tmpdir()}/turnout-rig-`);
    roots.push(root);
    expect(await rigClusterName(rigSpec('main'), run(root, false))).toBe('it-main');
    expect(await rigClusterName(rigSpec('main'), run(await cacheWith(process.pid), false))).toBe('it-main');
  });

  it('leaves a cluster another live run owns alone and takes a name of its own', async () => {
    const root = await cacheWith(process.ppid);
    for (const reuse of [false, true]) {
      expect(await rigClusterName(rigSpec('main'), run(root, reuse))).toBe(`it-main-${process.pid}`);
    }
    expect(await readRecord('it-main', root)).toBeDefined();
  });

  it('clears a cluster whose owning run died and takes its name', async () => {
    const root = await cacheWith(DEAD_PID);
    expect(await rigClusterName(rigSpec('main'), run(root, false))).toBe('it-main');
    expect(await readRecord('it-main', root)).toBeUndefined();
  });

  it('adopts an ownerless cluster only when reusing, and clears it when nothing of it runs', async () => {
    const root = await cacheWith(undefined);
    expect(await rigClusterName(rigSpec('main'), run(root, true))).toBe('it-main');
    expect(await readRecord('it-main', root)).toBeDefined();
    expect(await rigClusterName(rigSpec('main'), run(root, false))).toBe('it-main');
    expect(await readRecord('it-main', root)).toBeUndefined();
  });

  it('knows the main and legacy roles', () => {
    expect(rigSpec('main').version).toBe('4.1.1');
    expect(rigSpec('legacy').version).toBe('3.9.1');
    expect(() => rigSpec('nope')).toThrow('no rig cluster role');
  });
});
