import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtValidator, type JwtValidatorOptions } from '../../../src/auth/jwt-validator.js';
import { OAuthBearerServerMechanism, parseOAuthBearerInitialResponse } from '../../../src/auth/oauthbearer-server.js';
import { kafkajsLogin } from './kafkajs-sasl-client.js';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

async function token(key: SigningKey, claims: Record<string, unknown> = {}, opts: { exp?: number | null; alg?: string } = {}): Promise<string> {
  const jwt = new SignJWT({ iss: 'https://idp.example', aud: 'turnout', sub: 'svc-orders', ...claims }).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: key.kid });
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? nowSeconds() + 600);
  return jwt.sign(key.privateKey);
}

function initialResponse(jwt: string, extra = ''): Buffer {
  return Buffer.from(`n,,\u0001auth=Bearer ${jwt}\u0001${extra}\u0001`, 'utf8');
}

let dir: string;
let jwksFile: string;
let keyA: SigningKey;
let keyB: SigningKey;

async function writeJwks(...keys: SigningKey[]): Promise<void> {
  await writeFile(jwksFile, JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
}

function mechanism(opts: Partial<JwtValidatorOptions> = {}): OAuthBearerServerMechanism {
  return new OAuthBearerServerMechanism(new JwtValidator({ jwksFile, issuer: 'https://idp.example', audience: 'turnout', ...opts }));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-oauth-'));
  jwksFile = path.join(dir, 'jwks.json');
  keyA = await signingKey('key-a');
  keyB = await signingKey('key-b', 'ES256');
  await writeJwks(keyA);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OAUTHBEARER server with a JWKS file', () => {
  it('logs kafkajs in with a valid token: principal from sub, credential ending at exp', async () => {
    const exp = nowSeconds() + 300;
    const jwt = await token(keyA, {}, { exp });
    const login = await kafkajsLogin(mechanism(), { oauthBearerProvider: async () => ({ value: jwt }) });
    expect(login.error).toBeNull();
    expect(login.tokens[0].toString()).toBe(`n,,\u0001auth=Bearer ${jwt}\u0001\u0001`);
    expect(login.steps).toEqual([{ kind: 'success', principal: { type: 'User', name: 'svc-orders' }, token: Buffer.alloc(0), credentialExpiresAtMs: exp * 1000 }]);
  });

  it('takes the principal from the configured claim and accepts SASL extensions', async () => {
    const jwt = await token(keyA, { preferred_username: 'orders-app' });
    const login = await kafkajsLogin(mechanism({ principalClaim: 'preferred_username' }), {
      oauthBearerProvider: async () => ({ value: jwt, extensions: { traceId: 'abc' } }),
    });
    expect(login.tokens[0].toString()).toContain('\u0001traceId=abc\u0001');
    expect(login.steps[0]).toMatchObject({ kind: 'success', principal: { name: 'orders-app' } });
  });

  it('answers an invalid token with the invalid_token challenge, and fails once the client acknowledges it', async () => {
    const exchange = mechanism().start();
    const expired = await token(keyA, {}, { exp: nowSeconds() - 3600 });
    const first = await exchange.evaluate(initialResponse(expired));
    expect(first).toEqual({ kind: 'challenge', token: Buffer.from('{"status":"invalid_token"}') });
    const second = await exchange.evaluate(Buffer.from([1]));
    expect(second).toMatchObject({ kind: 'failure', clientMessage: '{"status":"invalid_token"}' });
    expect(second.kind === 'failure' && second.reason).toMatch(/^invalid token: ERR_JWT_EXPIRED/);
  });

  const rejected: Array<[string, () => Promise<string>, RegExp]> = [
    ['a wrong audience', () => token(keyA, { aud: 'someone-else' }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/],
    ['a wrong issuer', () => token(keyA, { iss: 'https://evil.example' }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/],
    ['no exp', () => token(keyA, {}, { exp: null }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*exp/],
    ['no sub', () => token(keyA, { sub: undefined }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*sub/],
    ['a key that is not in the JWKS', () => token(keyB, {}, { alg: 'ES256' }), /ERR_JWKS_NO_MATCHING_KEY/],
    ['a signature that does not verify', async () => (await token(keyA)).replace(/.{4}$/, 'AAAA'), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
  ];
  for (const [what, make, reason] of rejected) {
    it(`refuses a token with ${what}`, async () => {
      const exchange = mechanism().start();
      expect((await exchange.evaluate(initialResponse(await make()))).kind).toBe('challenge');
      const failure = await exchange.evaluate(Buffer.from([1]));
      expect(failure.kind === 'failure' && failure.reason).toMatch(reason);
    });
  }

  it('refuses an HMAC-signed token even when the JWKS holds the secret as a key', async () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    await writeFile(jwksFile, JSON.stringify({ keys: [keyA.publicJwk, { kty: 'oct', kid: 'hmac', k: secret.toString('base64url'), alg: 'HS256' }] }));
    const jwt = await new SignJWT({ iss: 'https://idp.example', aud: 'turnout', sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: 'hmac' }).setExpirationTime('5m').sign(secret);
    const exchange = mechanism().start();
    await exchange.evaluate(initialResponse(jwt));
    const failure = await exchange.evaluate(Buffer.from([1]));
    expect(failure.kind === 'failure' && failure.reason).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED/);
    await writeJwks(keyA);
  });

  it('reads the JWKS file again when it changes, so a rotated key is accepted without a restart', async () => {
    const m = mechanism();
    const withB = await token(keyB, {}, { alg: 'ES256' });
    expect((await m.start().evaluate(initialResponse(withB))).kind).toBe('challenge');
    await writeJwks(keyA, keyB);
    expect((await m.start().evaluate(initialResponse(withB))).kind).toBe('success');
    await writeJwks(keyA);
  });

  it('refuses an authorization id other than the token principal', async () => {
    const jwt = await token(keyA);
    const step = await mechanism().start().evaluate(Buffer.from(`n,a=admin,\u0001auth=Bearer ${jwt}\u0001\u0001`));
    expect(step).toMatchObject({ kind: 'failure', clientMessage: expect.stringContaining("authorization id (admin) that is different from the token's principal name (svc-orders)") });
  });

  it('fails, rather than challenges, a malformed first message', async () => {
    for (const bad of ['', 'n,,', 'n,,\u0001auth=Bearer\u0001\u0001', 'n,,\u0001auth=Basic abc\u0001\u0001', 'y,,\u0001auth=Bearer a.b.c\u0001\u0001', 'n,,\u0001\u0001']) {
      const step = await mechanism().start().evaluate(Buffer.from(bad));
      expect(step.kind, JSON.stringify(bad)).toBe('failure');
    }
  });

  it('parses the authorization id and extensions of the initial response', () => {
    expect(parseOAuthBearerInitialResponse(Buffer.from('n,a=svc=2Cx,\u0001auth=bearer t.o.k\u0001ka=v 1\u0001kb=v2\u0001\u0001'))).toEqual({
      authorizationId: 'svc,x',
      token: 't.o.k',
      extensions: new Map([
        ['ka', 'v 1'],
        ['kb', 'v2'],
      ]),
    });
  });
});

describe('OAUTHBEARER server with a JWKS URL', () => {
  let server: Server;
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [keyA.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches the key set from the endpoint and validates against it', async () => {
    const { port } = server.address() as AddressInfo;
    const m = new OAuthBearerServerMechanism(new JwtValidator({ jwksUrl: `http://127.0.0.1:${port}/jwks`, audience: 'turnout' }));
    const step = await m.start().evaluate(initialResponse(await token(keyA)));
    expect(step).toMatchObject({ kind: 'success', principal: { name: 'svc-orders' } });
    expect((await m.start().evaluate(initialResponse(await token(keyA)))).kind).toBe('success');
    expect(fetches).toBe(1);
  });

  it('refuses every token, with the reason, while the endpoint cannot be reached', async () => {
    const m = new OAuthBearerServerMechanism(new JwtValidator({ jwksUrl: 'http://127.0.0.1:9/jwks', jwksFetchTimeoutMs: 2000 }));
    const exchange = m.start();
    expect((await exchange.evaluate(initialResponse(await token(keyA)))).kind).toBe('challenge');
    const failure = await exchange.evaluate(Buffer.from([1]));
    expect(failure.kind === 'failure' && failure.reason).toMatch(/ERR_JWKS|fetch|ECONNREFUSED/i);
  });
});
