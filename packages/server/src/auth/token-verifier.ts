import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import { userIdSchema } from '@switchboard/protocol';
import { createRemoteJWKSet, type JWTVerifyOptions, jwtVerify } from 'jose';
import type { Config } from '../config/config.js';

/** Clock skew allowed on `exp` and `nbf`, as the contract says. */
const CLOCK_TOLERANCE_S = 30;

export type VerifyToken = (token: string) => Promise<string>;

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

function pemAlgorithms(key: KeyObject): string[] {
  if (key.asymmetricKeyType === 'rsa') return ['RS256'];
  if (key.asymmetricKeyType === 'ec') return ['ES256'];
  throw new Error(`JWT_PUBLIC_KEY: unsupported key type ${key.asymmetricKeyType}; use an RSA or P-256 EC key`);
}

/**
 * Builds the handshake's token check from the configuration. Algorithms are
 * pinned to the kind of key configured, so an HS256 token can never be
 * verified with a public key taken as an HMAC secret, nor `none` accepted.
 * Resolves to the user id (`sub`).
 */
export function createTokenVerifier(
  config: Pick<Config, 'jwtSecret' | 'JWT_PUBLIC_KEY' | 'JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
): VerifyToken {
  const base: JWTVerifyOptions = {
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ['sub', 'exp'],
    ...(config.JWT_ISSUER && { issuer: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { audience: config.JWT_AUDIENCE }),
  };
  const verifiers: ((token: string) => Promise<{ payload: { sub?: string } }>)[] = [];
  if (config.jwtSecret) {
    // Imported once: handed the raw bytes, jose imports a WebCrypto key on
    // every verification, an asynchronous job per handshake.
    const secret = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(config.jwtSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    verifiers.push(async (t) => jwtVerify(t, await secret, { ...base, algorithms: ['HS256'] }));
  }
  if (config.JWT_PUBLIC_KEY) {
    const key = createPublicKey(config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
    const algorithms = pemAlgorithms(key);
    verifiers.push((t) => jwtVerify(t, key, { ...base, algorithms }));
  }
  if (config.JWKS_URL) {
    const jwks = createRemoteJWKSet(new URL(config.JWKS_URL));
    verifiers.push((t) => jwtVerify(t, jwks, { ...base, algorithms: ['RS256', 'ES256'] }));
  }
  return async (token) => {
    let lastError: unknown;
    for (const verify of verifiers) {
      try {
        const { payload } = await verify(token);
        const sub = userIdSchema.safeParse(payload.sub);
        if (!sub.success) throw new TokenError('sub is not a valid user id');
        return sub.data;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new TokenError('no verifier accepted the token');
  };
}
