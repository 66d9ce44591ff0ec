// An IPv6 listener: Turnout bound to ::1 and advertising ::1, with IPv6 clients (kcat and the
// Java client) that bootstrap from [::1]:port. Nothing of Turnout answers on 127.0.0.1, so a
// client gets anywhere only over IPv6; the metadata it learns names ::1 and Turnout's ports;
// what each client writes, both read back through Turnout as the cluster holds it.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { readTopic, turnoutForFile } from './acceptance-helpers.js';
import { expectAllDelivered, readRecords, writeRecords } from './record-programs.js';
import { kcat, mainCluster, uniqueTopic } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';

const turnout = turnoutForFile('tUrNoUtCaSeIpV6000000', {
  listeners: [{ bindHost: '::1', advertisedHost: '::1', bootstrapPort: 0, nodePortBase: 0 }],
});

/** The Java client takes IPv4 only when told to prefer it, as the test programs' defaults do. */
const JAVA_IPV6 = ['-Djava.net.preferIPv4Stack=false'];

/** Resolves once a connection to host:port is accepted, rejects with the error otherwise. */
function connectOnce(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

describe('an IPv6 listener', () => {
  it('this machine binds and connects on ::1', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ::1 (no IPv6 loopback on this machine?): ${err.message}`)));
      server.listen(0, '::1', resolve);
    });
    try {
      await connectOnce('::1', (server.address() as net.AddressInfo).port);
    } finally {
      server.close();
    }
  });

  it('kcat and the Java client bootstrap from [::1], learn only ::1 nodes, and read back what both wrote', async () => {
    const proxy = turnout.proxy;
    const ports = [proxy.ports().bootstrap, ...proxy.ports().nodes.values()];
    const bootstrap = proxy.bootstrapServers();
    expect(bootstrap).toBe(`[::1]:${proxy.ports().bootstrap}`);
    for (const port of ports) {
      await connectOnce('::1', port);
      await expect(connectOnce('127.0.0.1', port), `Turnout port ${port} on 127.0.0.1`).rejects.toThrow(/ECONNREFUSED/);
    }

    const topic = uniqueTopic('c6');
    await createTopicsAtOnce(mainCluster(), [{ name: topic, partitions: 3 }]);

    // What kcat learns: every broker is ::1 at one of Turnout's node ports.
    const md = await kcat(['-b', bootstrap, '-L', '-J', '-t', topic], { timeoutMs: 30_000 });
    expect(md.code, md.stderr).toBe(0);
    const brokers = (JSON.parse(md.stdout) as { brokers: Array<{ id: number; name: string }> }).brokers;
    expect(brokers.map((b) => b.name).sort()).toEqual([...proxy.ports().nodes.values()].map((port) => `::1:${port}`).sort());

    // kcat writes over IPv6; its debug log shows the address family of every connection.
    const kcatValues = Array.from({ length: 60 }, (_, i) => `kcat-${i % 4}\tkcat over ipv6 #${i}`);
    const put = await kcat(['-b', bootstrap, '-P', '-t', topic, '-K', '\t', '-X', 'acks=all', '-d', 'broker'], { input: kcatValues.map((v) => `${v}\n`).join(''), timeoutMs: 60_000 });
    expect(put.code, put.stderr).toBe(0);
    expect(put.stderr).toMatch(/Connected to ipv6#\[::1\]:\d+/);
    expect(put.stderr).not.toMatch(/Connected to ipv4#/);

    // The Java producer writes over IPv6; its client log names each node it connects to.
    const java = await writeRecords(bootstrap, [topic], { records: 60, jvmOptions: JAVA_IPV6 });
    expectAllDelivered(java);
    expect(java.written).toHaveLength(60);
    const javaConnections = [...java.result.stderr.matchAll(/Initiating connection to node (\S+)/g)].map((m) => m[1] as string);
    expect(javaConnections.length).toBeGreaterThan(0);
    for (const node of javaConnections) {
      const m = /^(?:::1|\[::1\]|0:0:0:0:0:0:0:1):(\d+)$/.exec(node);
      expect(m, `${node}, a node the Java producer connected to, is ::1`).not.toBeNull();
      expect(ports).toContain(Number(m?.[1]));
    }

    // Both read back through Turnout what the cluster holds: every record of both writers.
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    expect(stored).toHaveLength(120);
    expect(await readTopic(bootstrap, topic), 'read by kcat over IPv6').toEqual(stored);
    const viaJava = await readRecords(bootstrap, [topic], { jvmOptions: JAVA_IPV6 });
    expect(
      viaJava.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })).sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      'read by the Java consumer over IPv6',
    ).toEqual(stored.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })));
  });
});
