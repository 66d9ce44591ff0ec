// Hundreds of real, well-behaved client connections to Turnout at once (not hostile ones:
// acceptance-hostile-load covers those): 300 connections from another process, each doing
// ApiVersions, Metadata, an acks=all Produce and a Fetch of its own record through one of
// Turnout's nodes, all held open together. Every one succeeds, Turnout logs no warning, and
// the memory each connection costs Turnout (its client socket and the broker connection it
// opens for it) is reported in the test log; the bound asserted is generous, a limit rather
// than a measurement.
import { describe, expect, it } from 'vitest';
import { readTopic, settledMemory, turnoutForFile } from './acceptance-helpers.js';
import { gatherClientCrowd } from './client-crowd.js';
import { mainCluster, uniqueTopic, waitFor } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';

const CLIENTS = 300;
const KiB = 1024;
/** Heap and buffers one idle connection may hold in Turnout, far above what it needs. */
const MAX_BYTES_PER_CONNECTION = 512 * KiB;

const turnout = turnoutForFile('tUrNoUtCaSeMaNyClIeNtS');

function kib(bytes: number): string {
  return `${(bytes / KiB).toFixed(1)} KiB`;
}

async function connectionsReleased(): Promise<void> {
  await waitFor(() => turnout.proxy.clientConnections === 0, { timeoutMs: 30_000, what: `client connections to close (${turnout.proxy.clientConnections} open)` });
}

describe('hundreds of well-behaved clients at once', () => {
  it(`${CLIENTS} connections each do Metadata, Produce and Fetch through Turnout at once; every one succeeds, and the memory each costs is reported and bounded`, async () => {
    const proxy = turnout.proxy;
    const topic = uniqueTopic('cmc');
    await createTopicsAtOnce(mainCluster(), [{ name: topic, partitions: 6 }]);
    const host = proxy.ports().advertisedHost;

    // A few clients first, so that one-off allocations (code paths, metric series) are out of the way.
    const warm = await gatherClientCrowd(host, proxy.ports().bootstrap, topic, 6);
    expect(warm.report).toEqual({ clients: 6, ok: 6, failures: [] });
    await warm.leave();
    await connectionsReleased();
    const before = await settledMemory();
    const logsBefore = turnout.logs.length;

    const crowd = await gatherClientCrowd(host, proxy.ports().bootstrap, topic, CLIENTS);
    expect(crowd.report).toEqual({ clients: CLIENTS, ok: CLIENTS, failures: [] });
    expect(proxy.clientConnections, 'client connections Turnout holds while the crowd stays').toBe(CLIENTS);
    const during = await settledMemory();
    expect(turnout.logs.slice(logsBefore).filter((l) => l.level >= 40), "Turnout's warnings while the crowd was served").toEqual([]);

    const heapPerConnection = (during.heapUsedBytes - before.heapUsedBytes) / CLIENTS;
    const buffersPerConnection = (during.arrayBufferBytes - before.arrayBufferBytes) / CLIENTS;
    const rssPerConnection = (during.rssBytes - before.rssBytes) / CLIENTS;
    console.log(
      `${CLIENTS} idle client connections (each with its broker connection) cost Turnout per connection: heap ${kib(heapPerConnection)}, ` +
        `buffers ${kib(buffersPerConnection)}, rss ${kib(rssPerConnection)} (heap ${kib(before.heapUsedBytes)} -> ${kib(during.heapUsedBytes)}, rss ${kib(before.rssBytes)} -> ${kib(during.rssBytes)})`,
    );
    expect(heapPerConnection + buffersPerConnection, `heap and buffers per connection, ${kib(heapPerConnection + buffersPerConnection)}`).toBeLessThan(MAX_BYTES_PER_CONNECTION);

    await crowd.leave();
    await connectionsReleased();
    const after = await settledMemory();
    console.log(`after the crowd left: heap ${kib(after.heapUsedBytes)}, rss ${kib(after.rssBytes)}`);

    // Each client's record (and the warm-up's) is in the cluster once.
    const stored = (await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value);
    expect(stored.filter((v) => v?.endsWith(` of ${CLIENTS}`)).sort()).toEqual(Array.from({ length: CLIENTS }, (_, i) => `crowd client ${i} of ${CLIENTS}`).sort());
    expect(stored).toHaveLength(CLIENTS + 6);
  });
});
