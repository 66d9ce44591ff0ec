// The secured demo's refusals, each with the error its client reports: a login with a wrong
// password (kafkajs through Turnout), a consumer whose user the orders domain does not grant
// (Kafka's Java console consumer through Turnout), and a stranger logging in to the cluster
// itself with a wrong password (kafkajs straight to its SASL_SSL listener: only Turnout's own
// credentials open it).
import kafkajs from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { runKafkaTool } from '../devkit/index.js';

const { Kafka, logLevel } = kafkajs;

/** One client that must be refused, and what it reported. */
export interface Refusal {
  /** The client library or tool. */
  client: string;
  /** The user it logged in as. */
  user: string;
  /** What it tried. */
  attempt: string;
  /** The refusal it must get: an authentication or an authorization error. */
  expected: 'authentication' | 'authorization';
  /** The error the client reported, as it printed it; null when it was not refused. */
  error: string | null;
  /** Refused with the expected kind of error. */
  ok: boolean;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** A kafkajs admin connecting with `settings` to `brokers`: refused at its login, or not. */
export async function refusedKafkajsLogin(brokers: readonly string[], settings: Pick<KafkaConfig, 'ssl' | 'sasl'>, what: { user: string; attempt: string }): Promise<Refusal> {
  const admin = new Kafka({ clientId: 'turnout-demo-refused', brokers: [...brokers], ...settings, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  let error: string | null = null;
  let authenticationError = false;
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    error = errorText(err);
    authenticationError = err instanceof Error && err.name === 'KafkaJSSASLAuthenticationError';
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return { client: 'kafkajs', user: what.user, attempt: what.attempt, expected: 'authentication', error, ok: authenticationError };
}

const AUTHORIZATION_EXCEPTION = /\b[\w.]*AuthorizationException\b[^\n]*/;

/** Kafka's Java console consumer reading `topic` in `group` with `consumerConfig`: refused for want of an ACL, or not. */
export async function refusedJavaConsumer(bootstrap: string, topic: string, group: string, consumerConfig: string, user: string): Promise<Refusal> {
  const result = await runKafkaTool(
    'kafka-console-consumer',
    ['--bootstrap-server', bootstrap, '--consumer.config', consumerConfig, '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '1', '--timeout-ms', '20000'],
    { timeoutMs: 90_000 },
  );
  const output = `${result.stderr}\n${result.stdout}`;
  const match = AUTHORIZATION_EXCEPTION.exec(output);
  const fallback = result.code === 0 ? null : output.trim().split('\n').slice(-1)[0] ?? `exit ${result.code}`;
  return {
    client: 'Java console consumer',
    user,
    attempt: `read ${topic} in group ${group}`,
    expected: 'authorization',
    error: match !== null ? match[0].trim() : fallback,
    ok: match !== null,
  };
}
