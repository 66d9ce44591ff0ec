// librdkafka before 2.6.1 (here 2.0.2, behind Debian's kcat 1.7.1) puts its own nonce in front
// of the combined nonce in its client-final message. Kafka 3.9 accepted that (the nonce only
// had to end with the combined nonce); Kafka 4 does not; Turnout does, and the proof still
// covers the nonce as sent.
//
// The exchange below was recorded from `kcat -L -X sasl.mechanisms=SCRAM-SHA-256` (kcat 1.7.1,
// librdkafka 2.0.2) against a listener socket whose SaslAuthenticate answers came from this
// SCRAM server with the salt, iterations and server nonce below; kcat accepted the
// ServerSignature and went on to ask for Metadata.
import { describe, expect, it } from 'vitest';
import { credentialFromSaltedPassword, hash, hmac, saltPassword, SCRAM_ALGORITHMS } from '../../../src/auth/scram-credential.js';
import { ScramExchange } from '../../../src/auth/scram-server.js';

const alg = SCRAM_ALGORITHMS['SCRAM-SHA-256'];
const PASSWORD = 'kcat-secret';
const SALT = Buffer.from('c2FsdC1mb3Ita2NhdC1yZWNvcmRpbmc=', 'base64');
const SERVER_NONCE = 'TurnoutServerNonce0123456789';
const CLIENT_NONCE = '9ilN|vYiy1]~8V3f\\wW_iQ@wmTa9VCIH';
const COMBINED = `${CLIENT_NONCE}${SERVER_NONCE}`;

const recorded = {
  clientFirst: `n,,n=kcat-user,r=${CLIENT_NONCE}`,
  serverFirst: `r=${COMBINED},s=c2FsdC1mb3Ita2NhdC1yZWNvcmRpbmc=,i=4096`,
  clientFinal: `c=biws,r=${CLIENT_NONCE}${COMBINED},p=rxTpAjlQXNmGvJ+k4ACNOgH8uphKPnRFgwSZ/Dewxzo=`,
  serverFinal: 'v=e5lJvyM7dVBN+VO3ASU37Lhuyn8AQEBNKA+ItLDLoio=',
};

async function exchangeAfterFirst(): Promise<ScramExchange> {
  const salted = await saltPassword(alg, PASSWORD, SALT, 4096);
  const credential = credentialFromSaltedPassword(alg, salted, SALT, 4096);
  const exchange = new ScramExchange(alg, async (u) => (u === 'kcat-user' ? credential : null), { serverNonce: () => SERVER_NONCE });
  const first = await exchange.evaluate(Buffer.from(recorded.clientFirst, 'latin1'));
  expect(first.kind === 'challenge' && first.token.toString('latin1')).toBe(recorded.serverFirst);
  return exchange;
}

/** A client-final for `nonce` with a correct proof: what a client knowing the password would send. */
async function signedFinal(nonce: string): Promise<Buffer> {
  const salted = await saltPassword(alg, PASSWORD, SALT, 4096);
  const clientKey = hmac(alg, salted, 'Client Key');
  const withoutProof = `c=biws,r=${nonce}`;
  const signature = hmac(alg, hash(alg, clientKey), `n=kcat-user,r=${CLIENT_NONCE},${recorded.serverFirst},${withoutProof}`);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'latin1');
}

describe("librdkafka 2.0.2's SCRAM client-final nonce", () => {
  it('is the client nonce followed by the combined nonce, which an exact check (Kafka 4) refuses', () => {
    const nonce = /,r=([^,]+),/.exec(recorded.clientFinal)![1];
    expect(nonce).toBe(CLIENT_NONCE + COMBINED);
    expect(nonce).not.toBe(COMBINED);
  });

  it("is accepted as Kafka 3.9 accepted it, with the very ServerSignature kcat checked", async () => {
    const exchange = await exchangeAfterFirst();
    const final = await exchange.evaluate(Buffer.from(recorded.clientFinal, 'latin1'));
    expect(final).toMatchObject({ kind: 'success', principal: { type: 'User', name: 'kcat-user' } });
    expect(final.kind === 'success' && final.token.toString('latin1')).toBe(recorded.serverFinal);
    expect(final.kind === 'success' && final.notice).toMatch(/librdkafka before 2\.6\.1/);
  });

  it('still has its whole nonce covered by the proof: another prefix fails', async () => {
    const exchange = await exchangeAfterFirst();
    const tampered = recorded.clientFinal.replace(`r=${CLIENT_NONCE}${COMBINED}`, `r=XXXX${COMBINED}`);
    expect(await exchange.evaluate(Buffer.from(tampered, 'latin1'))).toMatchObject({ kind: 'failure', reason: 'invalid proof (wrong password)' });
  });

  it('refuses, even with a correct proof, a nonce that does not end with the combined nonce', async () => {
    for (const nonce of [CLIENT_NONCE, `${COMBINED}x`, SERVER_NONCE.slice(1)]) {
      const exchange = await exchangeAfterFirst();
      expect(await exchange.evaluate(await signedFinal(nonce))).toMatchObject({ kind: 'failure', reason: 'the client-final nonce does not end with the server nonce' });
    }
  });

  it('accepts the exact combined nonce without a notice', async () => {
    const exchange = await exchangeAfterFirst();
    const final = await exchange.evaluate(await signedFinal(COMBINED));
    expect(final.kind).toBe('success');
    expect(final.kind === 'success' && final.notice).toBeUndefined();
  });
});
