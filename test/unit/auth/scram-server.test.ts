import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SaslStep } from '../../../src/auth/sasl-mechanism.js';
import {
  credentialFromSaltedPassword,
  deriveScramCredential,
  saltPassword,
  type ScramAlgorithm,
  type ScramCredential,
  type ScramMechanismName,
} from '../../../src/auth/scram-credential.js';
import { ScramExchange, ScramServerMechanism } from '../../../src/auth/scram-server.js';
import { kafkajsLogin } from './kafkajs-sasl-client.js';

const SHA1: ScramAlgorithm = { name: 'SCRAM-SHA-1', digest: 'sha1', keyLengthBytes: 20 };
const SHA256: ScramAlgorithm = { name: 'SCRAM-SHA-256', digest: 'sha256', keyLengthBytes: 32 };

async function vectorCredential(alg: ScramAlgorithm, password: string, saltB64: string, iterations: number): Promise<ScramCredential> {
  const salt = Buffer.from(saltB64, 'base64');
  return credentialFromSaltedPassword(alg, await saltPassword(alg, password, salt, iterations), salt, iterations);
}

function text(step: SaslStep): string {
  if (step.kind === 'failure') throw new Error(`expected a token, got a failure: ${step.reason}`);
  return step.token.toString('utf8');
}

const users = new Map<string, ScramCredential>();
const lookup = (user: string): Promise<ScramCredential | null> => Promise.resolve(users.get(user) ?? null);

async function addUser(mechanism: ScramMechanismName, user: string, password: string, iterations = 4096): Promise<void> {
  users.set(`${mechanism}/${user}`, await deriveScramCredential(mechanism, password, iterations));
}

function mechanismOf(name: ScramMechanismName): ScramServerMechanism {
  return new ScramServerMechanism(name, (user) => lookup(`${name}/${user}`));
}

describe('SCRAM server: RFC test vectors', () => {
  it('answers the RFC 5802 SCRAM-SHA-1 exchange byte for byte', async () => {
    const credential = await vectorCredential(SHA1, 'pencil', 'QSXCR+Q6sek8bf92', 4096);
    const exchange = new ScramExchange(SHA1, async (u) => (u === 'user' ? credential : null), { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' });
    const first = await exchange.evaluate(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    expect(text(first)).toBe('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const final = await exchange.evaluate(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    expect(final.kind).toBe('success');
    expect(text(final)).toBe('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    expect(final.kind === 'success' && final.principal).toEqual({ type: 'User', name: 'user' });
  });

  it('answers the RFC 7677 SCRAM-SHA-256 exchange byte for byte', async () => {
    const credential = await vectorCredential(SHA256, 'pencil', 'W22ZaJ0SNY7soEsUEjb6gQ==', 4096);
    const exchange = new ScramExchange(SHA256, async () => credential, { serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const first = await exchange.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(text(first)).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = await exchange.evaluate(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(text(final)).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('refuses the RFC 7677 exchange when one byte of the proof differs', async () => {
    const credential = await vectorCredential(SHA256, 'pencil', 'W22ZaJ0SNY7soEsUEjb6gQ==', 4096);
    const exchange = new ScramExchange(SHA256, async () => credential, { serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    await exchange.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    const final = await exchange.evaluate(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(final).toMatchObject({ kind: 'failure', user: 'user', reason: 'invalid proof (wrong password)' });
    expect(final.kind === 'failure' && final.clientMessage).toBeUndefined();
  });
});

describe('SCRAM server driven by the kafkajs client', () => {
  for (const name of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`logs kafkajs in over ${name}, which checks the ServerSignature`, async () => {
      await addUser(name, 'alice', 'alice-secret', 8192);
      const login = await kafkajsLogin(mechanismOf(name), { username: 'alice', password: 'alice-secret' });
      expect(login.error).toBeNull();
      expect(login.steps.map((s) => s.kind)).toEqual(['challenge', 'success']);
      expect(login.steps[1]).toMatchObject({ principal: { type: 'User', name: 'alice' } });
      expect(login.steps[0].kind === 'challenge' && login.steps[0].token.toString()).toMatch(/,i=8192$/);
    });

    it(`refuses a wrong password over ${name} at the proof`, async () => {
      await addUser(name, 'bob', 'right');
      const login = await kafkajsLogin(mechanismOf(name), { username: 'bob', password: 'wrong' });
      expect(login.error?.message).toMatch(/failed/);
      expect(login.steps.map((s) => s.kind)).toEqual(['challenge', 'failure']);
      expect(login.steps[1]).toMatchObject({ user: 'bob', reason: 'invalid proof (wrong password)' });
    });
  }

  it('refuses an unknown user at the first message, without saying that the user does not exist', async () => {
    const login = await kafkajsLogin(mechanismOf('SCRAM-SHA-256'), { username: 'nobody', password: 'x' });
    expect(login.steps).toEqual([{ kind: 'failure', reason: 'unknown user', user: 'nobody' }]);
    expect(login.error).not.toBeNull();
  });

  it('refuses a user who has credentials only for the other SCRAM mechanism', async () => {
    await addUser('SCRAM-SHA-512', 'only512', 'pw');
    const login = await kafkajsLogin(mechanismOf('SCRAM-SHA-256'), { username: 'only512', password: 'pw' });
    expect(login.steps[0]).toMatchObject({ kind: 'failure', reason: 'unknown user' });
  });

  it('decodes =2C and =3D in user names, as kafkajs encodes them', async () => {
    await addUser('SCRAM-SHA-256', 'ops,team=a', 'pw');
    const login = await kafkajsLogin(mechanismOf('SCRAM-SHA-256'), { username: 'ops,team=a', password: 'pw' });
    expect(login.tokens[0].toString()).toContain('n=ops=2Cteam=3Da,');
    expect(login.steps[1]).toMatchObject({ kind: 'success', principal: { name: 'ops,team=a' } });
  });
});

describe('SCRAM server: what Kafka accepts and refuses', () => {
  async function firstStep(message: string, credential?: ScramCredential): Promise<SaslStep> {
    const c = credential ?? (await deriveScramCredential('SCRAM-SHA-256', 'pw', 4096));
    return new ScramExchange(SHA256, async () => c).evaluate(Buffer.from(message));
  }

  it('accepts an authorization id equal to the user and refuses another', async () => {
    expect((await firstStep('n,a=alice,n=alice,r=abc')).kind).toBe('challenge');
    expect(await firstStep('n,a=mallory,n=alice,r=abc')).toMatchObject({
      kind: 'failure',
      clientMessage: 'Authentication failed: Client requested an authorization id that is different from username',
    });
  });

  it('refuses the delegation-token extension and ignores others', async () => {
    expect(await firstStep('n,,n=alice,r=abc,tokenauth=true')).toMatchObject({
      kind: 'failure',
      clientMessage: 'Authentication failed: delegation tokens are not supported',
    });
    expect((await firstStep('n,,n=alice,r=abc,tokenauth=false,foo=bar')).kind).toBe('challenge');
  });

  it('refuses channel binding, a mandatory extension and a stray "=" in the user name', async () => {
    expect(await firstStep('y,,n=alice,r=abc')).toMatchObject({ kind: 'failure', reason: 'client-first-message: channel binding is not supported' });
    expect(await firstStep('n,,m=x,n=alice,r=abc')).toMatchObject({ kind: 'failure' });
    expect(await firstStep('n,,n=al=ice,r=abc')).toMatchObject({ kind: 'failure', reason: 'the user name has "=" not followed by 2C or 3D' });
  });

  it('refuses a stored credential with fewer than 4096 iterations', async () => {
    const weak = credentialFromSaltedPassword(SHA256, randomBytes(32), randomBytes(16), 1000);
    expect(await firstStep('n,,n=alice,r=abc', weak)).toMatchObject({ kind: 'failure', reason: 'stored credential has 1000 iterations, fewer than 4096' });
  });

  it('reports a store that cannot be read as a failure, not a throw', async () => {
    const step = await new ScramExchange(SHA256, () => Promise.reject(new Error('redis down'))).evaluate(Buffer.from('n,,n=alice,r=abc'));
    expect(step).toEqual({ kind: 'failure', reason: 'credentials could not be obtained: redis down', user: 'alice' });
  });

  it('fails any token after the exchange ended', async () => {
    const exchange = new ScramExchange(SHA256, async () => null);
    await exchange.evaluate(Buffer.from('n,,n=alice,r=abc'));
    expect(await exchange.evaluate(Buffer.from('n,,n=alice,r=abc'))).toMatchObject({ kind: 'failure', reason: 'SCRAM-SHA-256 exchange already ended' });
  });
});
