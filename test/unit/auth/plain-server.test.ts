import { describe, expect, it } from 'vitest';
import { PasswordCheckLimiter } from '../../../src/auth/password-check-limiter.js';
import { PlainServerMechanism } from '../../../src/auth/plain-server.js';
import { kafkajsLogin } from './kafkajs-sasl-client.js';
import { MemoryCredentials } from './memory-credentials.js';

async function plainWith(users: Array<[string, string, Array<'SCRAM-SHA-256' | 'SCRAM-SHA-512'>?]>): Promise<PlainServerMechanism> {
  const store = new MemoryCredentials();
  for (const [user, password, mechanisms] of users) await store.add(user, password, mechanisms);
  return new PlainServerMechanism(store);
}

function evaluateOnce(plain: PlainServerMechanism, token: string) {
  return plain.start().evaluate(Buffer.from(token, 'utf8'));
}

describe('PLAIN server, checked against SCRAM credentials', () => {
  it('logs kafkajs in with the password its SCRAM credentials were made from', async () => {
    const login = await kafkajsLogin(await plainWith([['alice', 'alice-secret']]), { username: 'alice', password: 'alice-secret' });
    expect(login.error).toBeNull();
    expect(login.tokens[0].toString()).toBe('\u0000alice\u0000alice-secret');
    expect(login.steps).toEqual([{ kind: 'success', principal: { type: 'User', name: 'alice' }, token: Buffer.alloc(0) }]);
  });

  it('checks a user who has only SCRAM-SHA-256 credentials against those', async () => {
    const plain = await plainWith([['old', 'pw', ['SCRAM-SHA-256']]]);
    expect((await evaluateOnce(plain, '\u0000old\u0000pw')).kind).toBe('success');
    expect((await evaluateOnce(plain, '\u0000old\u0000pW')).kind).toBe('failure');
  });

  it('gives a wrong password and an unknown user the same answer', async () => {
    const plain = await plainWith([['alice', 'alice-secret']]);
    const wrong = await evaluateOnce(plain, '\u0000alice\u0000guess');
    const unknown = await evaluateOnce(plain, '\u0000mallory\u0000guess');
    expect(wrong).toMatchObject({ kind: 'failure', reason: 'wrong password', user: 'alice', clientMessage: 'Authentication failed: Invalid username or password' });
    expect(unknown).toMatchObject({ kind: 'failure', reason: 'unknown user', user: 'mallory', clientMessage: 'Authentication failed: Invalid username or password' });
  });

  it('accepts an authorization id equal to the user, and refuses another one after checking the password', async () => {
    const plain = await plainWith([['alice', 'pw']]);
    expect((await evaluateOnce(plain, 'alice\u0000alice\u0000pw')).kind).toBe('success');
    expect(await evaluateOnce(plain, 'admin\u0000alice\u0000pw')).toMatchObject({
      kind: 'failure',
      clientMessage: 'Authentication failed: Client requested an authorization id that is different from username',
    });
  });

  it("answers malformed tokens with Kafka's messages", async () => {
    const plain = await plainWith([]);
    expect(await evaluateOnce(plain, 'alice')).toMatchObject({ clientMessage: 'Invalid SASL/PLAIN response: expected 3 tokens, got 1' });
    expect(await evaluateOnce(plain, 'a\u0000b\u0000c\u0000d\u0000e')).toMatchObject({ clientMessage: 'Invalid SASL/PLAIN response: expected 3 tokens, got 4' });
    expect(await evaluateOnce(plain, '\u0000\u0000pw')).toMatchObject({ clientMessage: 'Authentication failed: username not specified' });
    expect(await evaluateOnce(plain, '\u0000alice\u0000')).toMatchObject({ clientMessage: 'Authentication failed: password not specified' });
  });

  it('refuses a second token on the same exchange', async () => {
    const exchange = (await plainWith([['alice', 'pw']])).start();
    await exchange.evaluate(Buffer.from('\u0000alice\u0000pw'));
    expect(await exchange.evaluate(Buffer.from('\u0000alice\u0000pw'))).toMatchObject({ kind: 'failure', reason: 'PLAIN exchange already ended' });
  });

  it('refuses at once, without deriving, when too many password checks already wait', async () => {
    const store = new MemoryCredentials();
    await store.add('alice', 'pw', ['SCRAM-SHA-512'], 16384);
    const plain = new PlainServerMechanism(store, { limiter: new PasswordCheckLimiter({ maxRunning: 1, maxWaiting: 1 }) });
    const steps = await Promise.all([1, 2, 3].map(() => evaluateOnce(plain, '\u0000alice\u0000pw')));
    expect(steps.map((s) => s.kind)).toEqual(['success', 'success', 'failure']);
    expect(steps[2]).toMatchObject({ clientMessage: 'Authentication failed: server busy, retry later' });
  });
});

describe('password check limiter', () => {
  it('runs at most maxRunning checks at once, in arrival order', async () => {
    const limiter = new PasswordCheckLimiter({ maxRunning: 2, maxWaiting: 10 });
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const check = (i: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      running--;
      return i;
    };
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.run(check(i))));
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(order.slice(2)).toEqual([2, 3, 4]);
  });
});
