import { AppError } from '@zocket/contracts';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { ApiConfig } from '../config.js';

export interface AuthUser {
  /** The token's `sub`: the stable identity of the caller. */
  subject: string;
  name: string | undefined;
}

export type Authenticator = (authorization: string | undefined) => Promise<AuthUser | null>;

const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/**
 * Verifies `Authorization: Bearer <jwt>`: signature (HS256 secret or a JWKS), issuer, audience,
 * expiry. No header: anonymous (null). A present but invalid token is refused, never ignored.
 */
export function createAuthenticator(config: ApiConfig['auth']): Authenticator {
  const key: Uint8Array | JWTVerifyGetKey =
    config.jwksUrl !== undefined
      ? createRemoteJWKSet(new URL(config.jwksUrl))
      : new TextEncoder().encode(config.jwtSecret);
  const algorithms = config.jwksUrl !== undefined ? ASYMMETRIC_ALGORITHMS : ['HS256'];

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer ([A-Za-z0-9_\-.=]+)$/.exec(authorization.trim());
    if (match === null)
      throw new AppError('UNAUTHORIZED', 'expected "Authorization: Bearer <token>"');
    try {
      const { payload } = await jwtVerify(match[1] as string, key as Uint8Array, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms,
        requiredClaims: ['sub', 'exp'],
      });
      return {
        subject: payload.sub as string,
        name: typeof payload.name === 'string' ? payload.name : undefined,
      };
    } catch (error) {
      throw new AppError('UNAUTHORIZED', 'invalid or expired token', { cause: error });
    }
  };
}
