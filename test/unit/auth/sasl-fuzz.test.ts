// Hostile tokens: random bytes, random text made of SCRAM's own punctuation, and every
// truncation of real client messages. Every one ends in a step (mostly a failure), never in
// a throw or a rejected promise.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtValidator } from '../../../src/auth/jwt-validator.js';
import { OAuthBearerServerMechanism } from '../../../src/auth/oauthbearer-server.js';
import { PlainServerMechanism } from '../../../src/auth/plain-server.js';
import type { SaslMechanism, SaslStep } from '../../../src/auth/sasl-mechanism.js';
import { SCRAM_ALGORITHMS } from '../../../src/auth/scram-credential.js';
import { ScramExchange, ScramServerMechanism } from '../../../src/auth/scram-server.js';
import { seededRandom } from '../../../src/demo/order-events.js';
import { kafkajsClient } from './kafkajs-sasl-client.js';
import { MemoryCredentials } from './memory-credentials.js';

function randomToken(rand: () => number): Buffer {
  const len = Math.floor(rand() * 300);
  if (rand() < 0.5) return Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
  const alphabet = 'nyrcpsiaem=,2C3D\u0000\u0001 biwsAbc+/0123456789auth=Bearer .';
  return Buffer.from(Array.from({ length: len }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''), 'latin1');
}

const KINDS = new Set(['challenge', 'success', 'failure']);

async function expectStep(p: Promise<SaslStep>, input: Buffer): Promise<SaslStep> {
  const step = await p.catch((err: unknown) => {
    throw new Error(`evaluate rejected for ${input.toString('hex').slice(0, 80)}: ${String(err)}`);
  });
  expect(KINDS.has(step.kind), input.toString('hex')).toBe(true);
  return step;
}

const users = new MemoryCredentials();
let dir: string;
let mechanisms: SaslMechanism[];

beforeAll(async () => {
  await users.add('user', 'pencil');
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-fuzz-'));
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  await writeFile(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
  await writeFile(path.join(dir, 'token'), await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setExpirationTime('5m').sign(privateKey));
  mechanisms = [
    new PlainServerMechanism(users),
    new ScramServerMechanism('SCRAM-SHA-256', async (u) => (await users.credentials(u))?.['SCRAM-SHA-256'] ?? null),
    new ScramServerMechanism('SCRAM-SHA-512', async (u) => (await users.credentials(u))?.['SCRAM-SHA-512'] ?? null),
    new OAuthBearerServerMechanism(new JwtValidator({ jwksFile: path.join(dir, 'jwks.json') })),
  ];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SASL mechanisms under hostile tokens', () => {
  it('turn 2,000 random first and second tokens per mechanism into steps', async () => {
    const rand = seededRandom(0x7a11);
    for (const m of mechanisms) {
      for (let i = 0; i < 1000; i++) {
        const exchange = m.start();
        const first = randomToken(rand);
        await expectStep(exchange.evaluate(first), first);
        const second = randomToken(rand);
        await expectStep(exchange.evaluate(second), second);
      }
    }
  });

  it('fail every truncation of a real SCRAM exchange, and accept only the whole of it', async () => {
    // Record kafkajs's tokens against a fixed server nonce, then replay every cut of them.
    const alg = SCRAM_ALGORITHMS['SCRAM-SHA-256'];
    const lookup = async (u: string) => (await users.credentials(u))?.['SCRAM-SHA-256'] ?? null;
    const tokens: Buffer[] = [];
    const recorder = new ScramExchange(alg, lookup, { serverNonce: () => 'fixedServerNonce' });
    await kafkajsClient('SCRAM-SHA-256', { username: 'user', password: 'pencil' }, async (token) => {
      tokens.push(token);
      const step = await recorder.evaluate(token);
      if (step.kind === 'failure') throw new Error(step.reason);
      return step.token;
    });
    const [first, final] = tokens;
    for (let cut = 0; cut < first.length; cut++) {
      const step = await expectStep(new ScramExchange(alg, lookup).evaluate(first.subarray(0, cut)), first.subarray(0, cut));
      expect(step.kind === 'success').toBe(false);
    }
    for (let cut = 0; cut <= final.length; cut++) {
      const exchange = new ScramExchange(alg, lookup, { serverNonce: () => 'fixedServerNonce' });
      await exchange.evaluate(first);
      const step = await expectStep(exchange.evaluate(final.subarray(0, cut)), final.subarray(0, cut));
      expect(step.kind, `cut at ${cut} of ${final.length}`).toBe(cut === final.length ? 'success' : 'failure');
    }
  });

  it('fail every truncation of a real PLAIN and OAUTHBEARER token', async () => {
    const jwt = await readFile(path.join(dir, 'token'), 'utf8');
    const cases: Array<[SaslMechanism, Buffer]> = [
      [mechanisms[0], Buffer.from('\u0000user\u0000pencil')],
      [mechanisms[3], Buffer.from(`n,,\u0001auth=Bearer ${jwt}\u0001\u0001`)],
    ];
    for (const [m, whole] of cases) {
      expect((await m.start().evaluate(whole)).kind).toBe('success');
      for (let cut = 0; cut < whole.length; cut++) {
        const step = await expectStep(m.start().evaluate(whole.subarray(0, cut)), whole.subarray(0, cut));
        expect(step.kind, `${m.name} cut at ${cut}`).not.toBe('success');
      }
    }
  });
});
