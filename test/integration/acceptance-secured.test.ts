// Issue 8's acceptance over SASL_SSL, with the Java clients and tools as an operator's
// clients would run them: two Turnout instances share one Redis (policy, users and ACLs), each
// with a listener requiring SCRAM-SHA-512 over TLS and authorization on. The users `admin`
// (a super user) and `alice` are created with `turnout users add`. A running Java producer as
// alice through instance B is denied WRITE on its topic, is allowed once `kafka-acls.sh`
// through instance A adds the ACL, without a restart, and is denied again once it is removed;
// a transactional producer without WRITE on its transactional id gets
// TransactionalIdAuthorizationException (error 53) and stores nothing, and commits with the
// ACL; the console producer and consumer work as alice, and a wrong password fails with the
// authentication error and produces nothing. The backend is the rig's plaintext main cluster;
// the Redis is this file's own (test-redis.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificates, DEV_STORE_PASSWORD, type DevCertificates } from '../../src/devkit/index.js';
import { loadConfigFile } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { javaTool, readTopic, verifiableProducerEvents } from './acceptance-helpers.js';
import { attemptTransactions, writeTransactions } from './record-programs.js';
import { consumeLines, createTopic, kafkaTool, mainCluster, produceLines, startTool, uniqueName, waitFor } from './rig.js';
import { javaTls, scratchDir } from './secure-rig.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';
import { runTurnoutCli } from './turnout-process.js';

const CLUSTER_ID = 'tUrNoUtSeCuReAcCePt000';
/** alice's own topics and groups: she may do anything with them from the start. */
const ALICE_OWN = 'sa-alice-';
/** Transactional ids alice may find the coordinator of (DESCRIBE), but not use (WRITE) until granted. */
const ALICE_TXN = 'sa-txn-';
const PASSWORDS = { admin: 'admin-secret', alice: 'alice-secret' } as const;

let scratch: { dir: string; cleanup: () => Promise<void> };
let certs: DevCertificates;
let redis: TestRedis | undefined;
let a: ProxyHandle | undefined;
let b: ProxyHandle | undefined;
const onExit = (): void => redis?.killNow();

/** The configuration both instances start from: one SASL_SSL listener, the policy, users and ACLs in Redis. */
function configOf(redisUrl: string): Record<string, unknown> {
  return {
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [
      {
        bindHost: '127.0.0.1',
        advertisedHost: '127.0.0.1',
        bootstrapPort: 0,
        nodePortBase: 0,
        tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile },
        sasl: { mechanisms: ['SCRAM-SHA-512'], required: true },
      },
    ],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    store: { type: 'redis', redis: { url: redisUrl, keyPrefix: `turnout:{it-secured-${process.pid}}:`, pollIntervalMs: 1_000, connectTimeoutMs: 2_000 } },
    authentication: { failedLoginDelayMs: 50 },
    authorization: {
      superUsers: ['User:admin'],
      acls: [
        { resourceType: 'TOPIC', resourceName: ALICE_OWN, patternType: 'PREFIXED', principal: 'User:alice', operation: 'ALL' },
        { resourceType: 'GROUP', resourceName: ALICE_OWN, patternType: 'PREFIXED', principal: 'User:alice', operation: 'READ' },
        { resourceType: 'TRANSACTIONAL_ID', resourceName: ALICE_TXN, patternType: 'PREFIXED', principal: 'User:alice', operation: 'DESCRIBE' },
      ],
    },
    admin: { host: '127.0.0.1', port: 0 },
  };
}

/** Java client properties logging in over SASL_SSL with SCRAM-SHA-512, trusting the listener's CA. */
function saslSsl(user: string, password: string): Record<string, string> {
  return {
    ...javaTls(certs, DEV_STORE_PASSWORD, false),
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
  };
}

/** The properties as a file, for `--command-config` and `--producer.config`. */
async function propertiesFile(name: string, props: Record<string, string>): Promise<string> {
  const file = join(scratch.dir, `${name}.properties`);
  await writeFile(file, `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  return file;
}

/** `kafka-acls.sh` through an instance, as the super user; throws unless it exits 0. */
async function kafkaAcls(through: ProxyHandle, args: readonly string[]): Promise<string> {
  const config = await propertiesFile('admin', saslSsl('admin', PASSWORDS.admin));
  return (await javaTool('kafka-acls', ['--bootstrap-server', through.bootstrapServers(), '--command-config', config, ...args])).stdout;
}

/** `turnout users add` on the shared configuration, the password from the environment. */
async function addUser(configFile: string, user: string, password: string): Promise<void> {
  const added = await runTurnoutCli(['users', 'add', user, '--config', configFile, '--mechanism', 'SCRAM-SHA-512', '--password-env', 'TURNOUT_IT_PASSWORD'], {
    env: { TURNOUT_IT_PASSWORD: password },
  });
  expect(added.code, added.stderr).toBe(0);
}

/** Decisions an instance counted, as turnout_authz_decisions_total has them. */
async function decisions(proxy: ProxyHandle, labels: { result: string; resource_type: string; operation: string }): Promise<number> {
  const metric = proxy.registry.getSingleMetric('turnout_authz_decisions_total');
  const values = metric === undefined ? [] : (await metric.get()).values;
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((sum, v) => sum + v.value, 0);
}

/** Whether an instance allows alice `operation` on a resource now, as its GET /v1/acl/explain says. */
async function aliceAllowed(proxy: ProxyHandle, operation: string, resourceType: string, resourceName: string): Promise<boolean> {
  const query = new URLSearchParams({ principal: 'User:alice', operation, resourceType, resourceName });
  const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/v1/acl/explain?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { allowed: boolean }).allowed;
}

beforeAll(async () => {
  if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
  scratch = await scratchDir('secured');
  process.once('exit', onExit);
  const r = new TestRedis(await freePort());
  redis = r;
  [certs] = await Promise.all([createDevCertificates(join(scratch.dir, 'certs')), r.start()]);
  const configFile = join(scratch.dir, 'turnout.yaml');
  await writeFile(configFile, JSON.stringify(configOf(r.url)));
  await Promise.all([addUser(configFile, 'admin', PASSWORDS.admin), addUser(configFile, 'alice', PASSWORDS.alice)]);
  const config = await loadConfigFile(configFile, { severalBackends: true });
  const start = (): Promise<ProxyHandle> => startProxy(config, { configFile, logLevel: 'warn', waitForReadyMs: 60_000 });
  a = await start();
  b = await start();
}, 180_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
  process.off('exit', onExit);
  await scratch?.cleanup();
});

function instances(): { a: ProxyHandle; b: ProxyHandle } {
  if (a === undefined || b === undefined) throw new Error('the two Turnout instances did not start');
  return { a, b };
}

describe('two Turnout instances on one Redis, SASL_SSL with SCRAM-SHA-512 and ACLs', () => {
  it('kafka-acls.sh through A allows, then denies again, a running Java producer through B, without a restart', async () => {
    const { a, b } = instances();
    const topic = await createTopic(mainCluster(), { name: uniqueName('sa-granted'), partitions: 1 });
    const binding = ['--allow-principal', 'User:alice', '--operation', 'WRITE', '--operation', 'DESCRIBE', '--topic', topic];
    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', b.bootstrapServers(), '--topic', topic, '--acks', '-1', '--throughput', '10',
      '--producer.config', await propertiesFile('alice', saslSsl('alice', PASSWORDS.alice)),
    ]);
    const events = verifiableProducerEvents(producer);
    /** Whether the producer reported a record denied since its `from`th error. */
    const deniedSince = (from: number): boolean => {
      events.acked();
      return events.errors.slice(from).some((e) => e.exception?.includes('TopicAuthorizationException'));
    };

    await waitFor(() => deniedSince(0), { timeoutMs: 60_000, what: 'the producer to be denied' });
    expect(events.acked()).toBe(0);

    await kafkaAcls(a, ['--add', ...binding]);
    // The same producer, through the other instance: the ACL reaches it through Redis.
    await events.progress('records acknowledged once the ACL is added', 10, 60_000);
    const listed = await kafkaAcls(a, ['--list', '--topic', topic]);
    expect(listed).toContain('principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW');
    expect(listed).toContain('principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW');

    // B serves the ACL A added: the store is one.
    expect(await kafkaAcls(b, ['--list', '--topic', topic])).toContain('principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW');

    const writesDeniedBefore = await decisions(b, { result: 'deny', resource_type: 'topic', operation: 'write' });
    await kafkaAcls(a, ['--remove', '--force', ...binding]);
    const errorsBefore = events.errors.length;
    await waitFor(() => deniedSince(errorsBefore), { timeoutMs: 60_000, what: 'the producer to be denied again' });
    // Its Produce requests on the connections it kept were refused, not only its Metadata.
    expect(await decisions(b, { result: 'deny', resource_type: 'topic', operation: 'write' })).toBeGreaterThan(writesDeniedBefore);
    expect(await events.finish()).toBe(true);
    // Its totals, printed as it shut down, agree with the events it reported.
    expect(events.toolData()?.acked, producer.stderr().slice(-2_000)).toBe(events.successes.length);

    // Exactly what was acknowledged is stored, once; every other record was refused.
    const acknowledged = events.successes.map((e) => e.value).sort();
    const stored = (await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value).sort();
    expect(stored).toEqual(acknowledged);
    expect(events.errors.every((e) => e.exception?.includes('TopicAuthorizationException')), JSON.stringify(events.errors.slice(0, 3))).toBe(true);
    expect(await kafkaAcls(a, ['--list', '--topic', topic])).not.toContain('User:alice');
  });

  it('a transactional Java producer without WRITE on its transactional id gets TransactionalIdAuthorizationException and stores nothing; with it, it commits', async () => {
    const { a, b } = instances();
    const topic = await createTopic(mainCluster(), { name: uniqueName(`${ALICE_OWN}txn`), partitions: 2 });
    const transactionalId = uniqueName(ALICE_TXN);
    const alice = saslSsl('alice', PASSWORDS.alice);
    const deniedBefore = await decisions(b, { result: 'deny', resource_type: 'transactional_id', operation: 'write' });

    expect(await aliceAllowed(b, 'WRITE', 'TRANSACTIONAL_ID', transactionalId)).toBe(false);
    const refused = await attemptTransactions(b.bootstrapServers(), transactionalId, 'C', 5, [topic], alice);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stderr).toContain('TransactionalWriter failed: org.apache.kafka.common.errors.TransactionalIdAuthorizationException');
    expect(await decisions(b, { result: 'deny', resource_type: 'transactional_id', operation: 'write' })).toBeGreaterThan(deniedBefore);
    expect(await readTopic(mainCluster().bootstrapServers, topic, 60_000, { 'isolation.level': 'read_uncommitted' })).toEqual([]);

    await kafkaAcls(a, ['--add', '--allow-principal', 'User:alice', '--operation', 'WRITE', '--transactional-id', transactionalId]);
    // The ACL reaches B through Redis; the deadline only catches a change that never arrives.
    await waitFor(() => aliceAllowed(b, 'WRITE', 'TRANSACTIONAL_ID', transactionalId), { timeoutMs: 30_000, intervalMs: 50, what: 'B to allow alice WRITE on her transactional id' });
    const committed = await writeTransactions(b.bootstrapServers(), transactionalId, 'CC', 5, [topic], alice);
    expect([...committed.outcomes.values()]).toEqual(['committed', 'committed']);
    const stored = await readTopic(mainCluster().bootstrapServers, topic, 60_000, { 'isolation.level': 'read_committed' });
    expect(stored).toHaveLength(10);
    await kafkaAcls(a, ['--remove', '--force', '--allow-principal', 'User:alice', '--operation', 'WRITE', '--transactional-id', transactionalId]);
  });

  it('the console producer and consumer work as alice over SASL_SSL; a wrong password fails with the authentication error and produces nothing', async () => {
    const { a, b } = instances();
    const topic = await createTopic(mainCluster(), { name: uniqueName(`${ALICE_OWN}console`), partitions: 2 });
    const alice = saslSsl('alice', PASSWORDS.alice);
    const values = Array.from({ length: 10 }, (_, i) => `secured-${i}`);
    await produceLines(a.bootstrapServers(), topic, values, { props: alice });
    const read = await consumeLines(b.bootstrapServers(), topic, { count: values.length, group: uniqueName(`${ALICE_OWN}group`), props: alice });
    expect([...read].sort()).toEqual([...values].sort());

    const wrong = await kafkaTool(
      'kafka-console-producer',
      ['--bootstrap-server', a.bootstrapServers(), '--topic', topic, ...Object.entries(saslSsl('alice', 'not-her-password')).flatMap(([k, v]) => ['--producer-property', `${k}=${v}`])],
      { input: 'intruder\n', timeoutMs: 60_000 },
    );
    expect(wrong.timedOut).toBe(false);
    // The console producer reports each record's failure and exits 0, as it does against a broker.
    expect(wrong.stderr).toContain(
      'org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const stored = (await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value);
    expect(stored.sort()).toEqual([...values].sort());
  });
});
