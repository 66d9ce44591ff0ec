import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assignRacks, blockStride, defaultBasePort, isPortFree, nameHash, planPorts, portBlock, PORT_RANGE_END, PORT_RANGE_START } from '../../../src/devkit/cluster-ports.js';

describe('cluster ports', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('derives the base port from the name (FNV-1a), inside the devkit range', () => {
    // Where the integration rig's clusters listen: a change here moves every developer's rig.
    expect(defaultBasePort('it-main', 3)).toBe(31_900);
    expect(defaultBasePort('it-legacy', 3)).toBe(20_320);
    for (const name of ['a', 'dev', 'it-main', 'x'.repeat(60)]) {
      const base = defaultBasePort(name, 3);
      expect(base).toBeGreaterThanOrEqual(PORT_RANGE_START);
      expect(base + 3).toBeLessThan(PORT_RANGE_END);
      expect((base - PORT_RANGE_START) % 10).toBe(0);
    }
    // FNV-1a 32-bit test vectors.
    expect(nameHash('')).toBe(0x811c9dc5);
    expect(nameHash('a')).toBe(0xe40c292c);
    expect(nameHash('foobar')).toBe(0xbf9cf968);
  });

  it('lays out brokers first and the controller after them', () => {
    expect(portBlock(20_000, 3)).toEqual({ basePort: 20_000, brokerPorts: [20_000, 20_001, 20_002], controllerPort: 20_003, extraPorts: [[], [], []] });
    expect(blockStride(3)).toBe(10);
    expect(blockStride(9)).toBe(10);
    expect(blockStride(10)).toBe(20);
  });

  it('puts a secured cluster\'s further listeners after the controller, per broker', () => {
    expect(portBlock(20_000, 2, 2)).toEqual({
      basePort: 20_000,
      brokerPorts: [20_000, 20_001],
      controllerPort: 20_002,
      extraPorts: [
        [20_003, 20_004],
        [20_005, 20_006],
      ],
    });
    expect(blockStride(1, 2)).toBe(10);
    expect(blockStride(3, 3)).toBe(20);
  });

  it('skips a block holding a reserved or busy port', async () => {
    const first = defaultBasePort('some-cluster', 3);
    const reserved = await planPorts('some-cluster', 3, { reserved: new Set([first + 1]), isFree: async () => true });
    expect(reserved.basePort).toBe(first + 10 >= PORT_RANGE_END ? PORT_RANGE_START : first + 10);
    const busy = await planPorts('some-cluster', 3, { isFree: async (p) => p !== first + 3 });
    expect(busy.basePort).not.toBe(first);
  });

  it('honours an explicit base port and refuses one that is taken', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await isPortFree(port)).toBe(false);
    await expect(planPorts('x', 3, { basePort: port })).rejects.toThrow(`port ${port} `);
    const plan = await planPorts('x', 3, { basePort: 20_000, isFree: async () => true });
    expect(plan.brokerPorts).toEqual([20_000, 20_001, 20_002]);
  });

  it('assigns racks round-robin', () => {
    expect(assignRacks(5, ['az-a', 'az-b', 'az-c'])).toEqual(['az-a', 'az-b', 'az-c', 'az-a', 'az-b']);
    expect(assignRacks(2, ['r1'])).toEqual(['r1', 'r1']);
    expect(() => assignRacks(2, [])).toThrow();
  });
});
