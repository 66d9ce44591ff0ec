import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay } from '../../../bench/floor/relay.js';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(() => r(undefined)));
});

function listen(server: net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function portOf(server: net.Server): number {
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('bench relay', () => {
  it('carries bytes both ways intact and in order, a slow reader included', async () => {
    // The target answers every byte it reads with its complement, so each direction is checked.
    const targetPort = await listen(net.createServer((s) => s.on('data', (d: Buffer) => s.write(Buffer.from(d.map((x) => 255 - x))))));
    const relayPort = portOf(await startRelay(0, { host: '127.0.0.1', port: targetPort }));
    const sent = randomBytes(8 * 1024 * 1024);
    const client = net.connect({ port: relayPort, host: '127.0.0.1' });
    const got: Buffer[] = [];
    let length = 0;
    const done = new Promise<void>((resolve) => {
      client.on('data', (d: Buffer) => {
        got.push(d);
        length += d.length;
        // Read slowly for a while: the relay must hold back, not lose or reorder.
        if (got.length % 50 === 0) {
          client.pause();
          setTimeout(() => client.resume(), 5);
        }
        if (length >= sent.length) resolve();
      });
    });
    client.write(sent);
    await done;
    client.destroy();
    const back = Buffer.concat(got);
    expect(back.length).toBe(sent.length);
    expect(digest(Buffer.from(back.map((x) => 255 - x)))).toBe(digest(sent));
  });

  it('closes the target connection when the client goes, and the client when the target goes', async () => {
    const targetSockets: net.Socket[] = [];
    const targetPort = await listen(net.createServer((s) => targetSockets.push(s)));
    const relayPort = portOf(await startRelay(0, { host: '127.0.0.1', port: targetPort }));

    const first = net.connect({ port: relayPort, host: '127.0.0.1' });
    await new Promise((r) => first.once('connect', r));
    await expect.poll(() => targetSockets.length).toBe(1);
    const targetClosed = new Promise((r) => (targetSockets[0] as net.Socket).once('close', r));
    first.destroy();
    await targetClosed;

    const second = net.connect({ port: relayPort, host: '127.0.0.1' });
    second.on('error', () => undefined);
    const clientClosed = new Promise((r) => second.once('close', r));
    await expect.poll(() => targetSockets.length).toBe(2);
    (targetSockets[1] as net.Socket).destroy();
    await clientClosed;
  });
});
