// Validates the JWTs OAUTHBEARER clients present, with jose (no hand-written crypto): the
// signature against a JSON Web Key Set, then `exp` (required), `nbf`, and the configured
// issuer and audience. The JWKS comes from a file (re-read when it changes, so keys can be
// rotated without a restart) or from a URL (jose's remote set: cached, re-fetched on an
// unknown `kid`). The principal is the name in a configured claim (`sub` by default), and
// the token's `exp` bounds the session.
import { stat, readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { DEFAULT_JWT_ALGORITHMS } from './jwt-algorithms.js';

export { DEFAULT_JWT_ALGORITHMS } from './jwt-algorithms.js';

export interface JwtValidatorOptions {
  /** A JWKS JSON file. One of jwksFile and jwksUrl. */
  jwksFile?: string;
  /** The identity provider's JWKS endpoint. */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (any one of them), when set. */
  audience?: string | string[];
  /** The claim that names the principal. (default: sub) */
  principalClaim?: string;
  /** Leeway for `exp` and `nbf`, in ms. (default: 30000) */
  clockToleranceMs?: number;
  algorithms?: readonly string[];
  /** Timeout of one JWKS fetch, in ms. (default: 5000) */
  jwksFetchTimeoutMs?: number;
}

export type JwtValidation =
  | { readonly ok: true; readonly principalName: string; readonly expiresAtMs: number }
  | { readonly ok: false; readonly reason: string };

/** A JWKS file, parsed again when its size, time or inode changes. */
class JwksFile {
  private readonly file: string;
  private version = '';
  private keys: JWTVerifyGetKey | null = null;

  constructor(file: string) {
    this.file = file;
  }

  async current(): Promise<JWTVerifyGetKey> {
    const s = await stat(this.file);
    const version = `${s.ino}:${s.size}:${s.mtimeMs}`;
    if (this.keys === null || version !== this.version) {
      const jwks = JSON.parse(await readFile(this.file, 'utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) throw new Error(`${this.file} is not a JWKS (no "keys" array)`);
      this.keys = createLocalJWKSet(jwks);
      this.version = version;
    }
    return this.keys;
  }
}

export class JwtValidator {
  private readonly keys: () => Promise<JWTVerifyGetKey>;
  private readonly issuer: string | undefined;
  private readonly audience: string | string[] | undefined;
  private readonly principalClaim: string;
  private readonly clockToleranceSeconds: number;
  private readonly algorithms: string[];

  constructor(opts: JwtValidatorOptions) {
    if ((opts.jwksFile === undefined) === (opts.jwksUrl === undefined)) throw new Error('exactly one of jwksFile and jwksUrl is needed');
    if (opts.jwksFile !== undefined) {
      const file = new JwksFile(opts.jwksFile);
      this.keys = () => file.current();
    } else {
      const remote = createRemoteJWKSet(new URL(opts.jwksUrl!), { timeoutDuration: opts.jwksFetchTimeoutMs ?? 5_000 });
      this.keys = () => Promise.resolve(remote);
    }
    this.issuer = opts.issuer;
    this.audience = opts.audience;
    this.principalClaim = opts.principalClaim ?? 'sub';
    this.clockToleranceSeconds = Math.ceil((opts.clockToleranceMs ?? 30_000) / 1000);
    this.algorithms = [...(opts.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  }

  /** Never rejects: a token that does not validate, or keys that cannot be had, give a reason. */
  async validate(token: string): Promise<JwtValidation> {
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keys();
    } catch (err) {
      return { ok: false, reason: `JWKS not available: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.clockToleranceSeconds,
        algorithms: this.algorithms,
        requiredClaims: ['exp', this.principalClaim],
      });
      const name = payload[this.principalClaim];
      if (typeof name !== 'string' || name.length === 0) return { ok: false, reason: `claim ${this.principalClaim} is not a non-empty string` };
      return { ok: true, principalName: name, expiresAtMs: (payload.exp as number) * 1000 };
    } catch (err) {
      const code = err instanceof errors.JOSEError ? `${err.code}: ` : '';
      return { ok: false, reason: `${code}${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
