// Kafka's ACLs decided by Turnout, against the real 4.1.1 rig cluster and real clients. The
// clients are unauthenticated here, so each is User:ANONYMOUS, as on a broker's plaintext
// listener. One Produce spanning an allowed and a denied topic stores the allowed records once
// and answers the denied partitions TOPIC_AUTHORIZATION_FAILED; kafka-acls.sh through Turnout
// adds, lists and removes ACLs that take effect on the next request; a consumer without READ
// on its group is refused with GROUP_AUTHORIZATION_FAILED; an all-topics Metadata (kafka-topics
// --list) hides the topics the principal may not describe. Over two backends (main 4.1.1 and
// legacy 3.9.1), with virtual topic ids, the Java clients read and write the topics they may
// and are refused the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, createProduceRequest, decodeMetadataResponse, decodeProduceResponse, encodeMetadataRequest, encodeProduceRequest } from '../../src/codec/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/codec/message-frames.js';
import type { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { recordBatch } from '../unit/routing/record-batches.js';
import { javaTool, startTurnout } from './acceptance-helpers.js';
import { consumeLines, createTopic, kafkaToolOk, mainCluster, produceLines, uniqueName, useCluster, type ClusterInfo } from './rig.js';
import { twoDomainConfig } from './two-domain-turnout.js';
import { wireConnection } from './wire-connection.js';

const ANONYMOUS = 'User:ANONYMOUS';
const OK = 'acl-ok';
const DENIED = 'acl-no';
let proxy: ProxyHandle;
const open: UpstreamConnection[] = [];

beforeAll(async () => {
  ({ proxy } = await startTurnout('tUrNoUtAcLeNfOrCeMeNt0', {
    authorization: {
      acls: [
        { resourceType: 'CLUSTER', resourceName: 'kafka-cluster', principal: ANONYMOUS, operation: 'DESCRIBE' },
        { resourceType: 'CLUSTER', resourceName: 'kafka-cluster', principal: ANONYMOUS, operation: 'ALTER' },
        { resourceType: 'CLUSTER', resourceName: 'kafka-cluster', principal: ANONYMOUS, operation: 'IDEMPOTENT_WRITE' },
        { resourceType: 'TOPIC', resourceName: `${OK}-`, patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'ALL' },
        { resourceType: 'TOPIC', resourceName: `${DENIED}-`, patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'DESCRIBE' },
        { resourceType: 'GROUP', resourceName: `${OK}-`, patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'READ' },
      ],
    },
  }));
});

afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  await proxy?.close();
});

/** The Turnout node port that leads partition 0 of `topic`, from Turnout's own Metadata. */
async function leaderPort(topic: string): Promise<number> {
  const conn = wireConnection(proxy.ports().bootstrap);
  open.push(conn);
  const req = createMetadataRequest();
  req.topics = [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }];
  req.allowAutoTopicCreation = false;
  const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: 'acl-it' }, req, encodeMetadataRequest));
  const md = decodeResponseFrame(frame, ApiKey.Metadata, 12, decodeMetadataResponse).body;
  const leader = md.topics[0].partitions.find((p) => p.partitionIndex === 0)!.leaderId;
  return md.brokers.find((b) => b.nodeId === leader)!.port;
}

/** Records stored in `topic` on the cluster itself. */
async function storedCount(topic: string, cluster: ClusterInfo = mainCluster()): Promise<number> {
  const out = await kafkaToolOk('kafka-get-offsets', ['--bootstrap-server', cluster.bootstrapServers, '--topic', topic]);
  return out.split('\n').filter((l) => l.startsWith(`${topic}:`)).reduce((sum, l) => sum + Number(l.split(':')[2]), 0);
}

describe('ACLs decided by Turnout', () => {
  it('stores the allowed partitions of one Produce once and answers the denied ones TOPIC_AUTHORIZATION_FAILED', async () => {
    const allowed = await createTopic(mainCluster(), { name: uniqueName(OK), partitions: 1 });
    const denied = await createTopic(mainCluster(), { name: uniqueName(DENIED), partitions: 1 });
    const conn = wireConnection(await leaderPort(allowed));
    open.push(conn);
    const req = createProduceRequest();
    req.acks = -1;
    req.timeoutMs = 30_000;
    req.topicData = [
      { name: allowed, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: await recordBatch({ records: 3 }) }] },
      { name: denied, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: await recordBatch({ records: 2 }) }] },
    ];
    const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 7, clientId: 'acl-it' }, req, encodeProduceRequest));
    const res = decodeResponseFrame(frame, ApiKey.Produce, 9, decodeProduceResponse).body;
    expect(res.responses.map((t) => [t.name, t.partitionResponses.map((p) => p.errorCode)])).toEqual([
      [allowed, [0]],
      [denied, [29]],
    ]);
    expect(await storedCount(allowed)).toBe(3);
    expect(await storedCount(denied)).toBe(0);
  });

  it('kafka-acls.sh through Turnout adds, lists and removes ACLs, and a producer is allowed, then denied again', async () => {
    const topic = await createTopic(mainCluster(), { name: uniqueName(DENIED), partitions: 1 });
    const acls = (args: string[]) => javaTool('kafka-acls', ['--bootstrap-server', proxy.bootstrapServers(), ...args]);
    const refused = await javaTool('kafka-console-producer', ['--bootstrap-server', proxy.bootstrapServers(), '--topic', topic], { input: 'before\n' });
    expect(`${refused.stdout}${refused.stderr}`).toContain('TopicAuthorizationException');

    await acls(['--add', '--allow-principal', ANONYMOUS, '--operation', 'Write', '--topic', topic]);
    const listed = await acls(['--list', '--topic', topic]);
    expect(listed.stdout).toContain(`principal=${ANONYMOUS}, host=*, operation=WRITE, permissionType=ALLOW`);
    await produceLines(proxy.bootstrapServers(), topic, ['allowed']);
    expect(await storedCount(topic)).toBe(1);

    await acls(['--remove', '--force', '--allow-principal', ANONYMOUS, '--operation', 'Write', '--topic', topic]);
    expect((await acls(['--list', '--topic', topic])).stdout).not.toContain('operation=WRITE');
    const again = await javaTool('kafka-console-producer', ['--bootstrap-server', proxy.bootstrapServers(), '--topic', topic], { input: 'after\n' });
    expect(`${again.stdout}${again.stderr}`).toContain('TopicAuthorizationException');
    expect(await storedCount(topic)).toBe(1);
  });

  it('refuses a consumer without READ on its group with GROUP_AUTHORIZATION_FAILED, and serves one with it', async () => {
    const topic = await createTopic(mainCluster(), { name: uniqueName(OK), partitions: 1 });
    await produceLines(mainCluster(), topic, ['one']);
    const refused = await javaTool('kafka-console-consumer', [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--group', uniqueName('other-group'),
      '--from-beginning', '--max-messages', '1', '--timeout-ms', '20000',
    ]);
    expect(`${refused.stdout}${refused.stderr}`).toContain('GroupAuthorizationException');
    expect(await consumeLines(proxy.bootstrapServers(), topic, { count: 1, group: uniqueName(OK) })).toEqual(['one']);
  });

  it('hides the topics the principal may not describe from an all-topics Metadata', async () => {
    const visible = await createTopic(mainCluster(), { name: uniqueName(OK), partitions: 1 });
    const hidden = await createTopic(mainCluster(), { name: uniqueName('acl-hidden'), partitions: 1 });
    const listed = (await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--list'])).stdout.split('\n');
    expect(listed).toContain(visible);
    expect(listed).not.toContain(hidden);
  });
});

describe('ACLs decided by Turnout over two backends', () => {
  it('the Java clients read and write the topics they may on both backends and are refused the others', async () => {
    const legacy = await useCluster('legacy');
    const multi = await startProxy(
      {
        ...twoDomainConfig({ clusterId: 'tUrNoUtAcLmUlTiBaCkEnD', main: mainCluster(), legacy, orders: 'aclm-o-', payments: 'aclm-p-' }),
        authorization: {
          acls: [
            { resourceType: 'TOPIC', resourceName: 'aclm-o-', patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'ALL' },
            { resourceType: 'TOPIC', resourceName: 'aclm-p-ok-', patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'ALL' },
            { resourceType: 'TOPIC', resourceName: 'aclm-p-no-', patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'DESCRIBE' },
            { resourceType: 'GROUP', resourceName: 'aclm-', patternType: 'PREFIXED', principal: ANONYMOUS, operation: 'READ' },
          ],
        },
      },
      { logLevel: 'warn', waitForReadyMs: 60_000 },
    );
    try {
      const bootstrap = multi.bootstrapServers();
      const onMain = await createTopic(mainCluster(), { name: uniqueName('aclm-o'), partitions: 2 });
      const onLegacy = await createTopic(legacy, { name: uniqueName('aclm-p-ok'), partitions: 2 });
      const refusedTopic = await createTopic(legacy, { name: uniqueName('aclm-p-no'), partitions: 1 });
      // A group belongs to the domain of its name, as its topic does.
      for (const [topic, groupPrefix] of [[onMain, 'aclm-o-g'], [onLegacy, 'aclm-p-g']]) {
        await produceLines(bootstrap, topic, ['a', 'b', 'c']);
        const read = await consumeLines(bootstrap, topic, { count: 3, group: uniqueName(groupPrefix) });
        expect([...read].sort()).toEqual(['a', 'b', 'c']);
      }
      const refused = await javaTool('kafka-console-producer', ['--bootstrap-server', bootstrap, '--topic', refusedTopic], { input: 'x\n' });
      expect(`${refused.stdout}${refused.stderr}`).toContain('TopicAuthorizationException');
      expect(await storedCount(refusedTopic, legacy)).toBe(0);
    } finally {
      await multi.close();
    }
  });
});
