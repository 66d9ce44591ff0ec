// The SCRAM client against the exchanges of RFC 5802 (SHA-1) and RFC 7677 (SHA-256), and
// SHA-512 against a server side computed here from RFC 5802's definitions.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { plainToken, saslClientExchange } from '../../../src/auth/sasl-client.js';
import { saslName, ScramClient, ScramError, ScramKeyCache } from '../../../src/auth/scram-client.js';

describe('SCRAM client', () => {
  it('speaks the SCRAM-SHA-1 exchange of RFC 5802', async () => {
    const client = new ScramClient({ hash: 'sha1', username: 'user', password: 'pencil', nonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    expect(client.clientFirst().toString()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await client.clientFinal(Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'));
    expect(final.toString()).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    expect(() => client.verifyServerFinal(Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='))).not.toThrow();
  });

  it('speaks the SCRAM-SHA-256 exchange of RFC 7677', async () => {
    const client = new ScramClient({ hash: 'sha256', username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(client.clientFirst().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.clientFinal(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(final.toString()).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(() => client.verifyServerFinal(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
  });

  it('proves the password to a SCRAM-SHA-512 server and checks its signature', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const iterations = 4096;
    // The server's stored credential, from RFC 5802's definitions.
    const salted = pbkdf2Sync('s3cr=t,ü', salt, iterations, 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const storedKey = createHash('sha512').update(clientKey).digest();
    const serverKey = createHmac('sha512', salted).update('Server Key').digest();

    const exchange = saslClientExchange({ mechanism: 'SCRAM-SHA-512', username: 'tu,rn=out', password: 's3cr=t,ü' });
    const first = exchange.first().toString();
    expect(first).toMatch(/^n,,n=tu=2Crn=3Dout,r=[A-Za-z0-9_-]+$/);
    const clientNonce = first.split('r=')[1];
    const serverFirst = `r=${clientNonce}server-part,s=${salt.toString('base64')},i=${iterations}`;
    const final = (await exchange.next(Buffer.from(serverFirst)))?.toString() ?? '';
    const [withoutProof, proofPart] = [final.slice(0, final.lastIndexOf(',p=')), final.slice(final.lastIndexOf(',p=') + 3)];
    expect(withoutProof).toBe(`c=biws,r=${clientNonce}server-part`);
    const authMessage = `${first.slice(3)},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac('sha512', storedKey).update(authMessage).digest();
    const proof = Buffer.from(proofPart, 'base64');
    const recoveredClientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]));
    expect(createHash('sha512').update(recoveredClientKey).digest().equals(storedKey)).toBe(true);

    const serverSignature = createHmac('sha512', serverKey).update(authMessage).digest();
    await expect(exchange.next(Buffer.from(`v=${serverSignature.toString('base64')}`))).resolves.toBeNull();
  });

  it('refuses a server signature that is wrong', async () => {
    const client = new ScramClient({ hash: 'sha256', username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    await client.clientFinal(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(() => client.verifyServerFinal(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(ScramError);
    expect(() => client.verifyServerFinal(Buffer.from('e=invalid-proof'))).toThrow(/invalid-proof/);
  });

  it.each([
    ['a nonce that does not extend the client nonce', 'r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
    ['the client nonce alone', 'r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
    ['fewer iterations than Kafka allows', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095'],
    ['an absurd iteration count', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999'],
    ['no salt', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096'],
    ['a mandatory extension', 'm=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
    ['attributes out of order', 's=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOxyz,i=4096'],
    ['garbage', '\u0000\u0001garbage'],
    ['an error', 'e=unknown-user'],
  ])('refuses a server-first-message with %s', async (_what, serverFirst) => {
    const client = new ScramClient({ hash: 'sha256', username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    await expect(client.clientFinal(Buffer.from(serverFirst))).rejects.toThrow(ScramError);
  });

  it('derives the keys of one salt and iteration count once', async () => {
    const keys = new ScramKeyCache();
    const salt = Buffer.from('salt-salt-salt');
    const a = keys.derive('sha512', 'pw', salt, 4096);
    expect(keys.derive('sha512', 'pw', salt, 4096)).toBe(a);
    expect(keys.derive('sha512', 'other', salt, 4096)).not.toBe(a);
    expect((await a).storedKey).toHaveLength(64);
  });

  it('escapes = and , in user names', () => {
    expect(saslName('a=b,c')).toBe('a=3Db=2Cc');
  });

  it('writes the PLAIN token without an authorization id', () => {
    expect(plainToken('turnout', 'pw')).toEqual(Buffer.from('\u0000turnout\u0000pw'));
  });
});
