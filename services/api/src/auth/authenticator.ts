import { AppError } from '@zocket/contracts';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { ApiConfig } from '../config.js';

export interface AuthUser {
  /** The token's `sub`: the stable identity of the caller. */
  subject: string;
  name: string | undefined;
  /** The token's `roles` claim (an array of strings; anything else counts as none). */
  roles: readonly string[];
}

/** The role that may run bulk jobs and read operational figures. */
export const OPERATOR_ROLE = 'operator';

export function isOperator(user: AuthUser): boolean {
  return user.roles.includes(OPERATOR_ROLE);
}

export type Authenticator = (authorization: string | undefined) => Promise<AuthUser | null>;

const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** Seconds of clock skew allowed between the token issuer and this server (exp, nbf, iat). */
const CLOCK_TOLERANCE_SECONDS = 30;

/** The key set could not be loaded: a fault of the JWKS endpoint, not of the caller's token. */
class KeySetUnavailable extends Error {}

/**
 * Keys from a JWKS URL (cached and refreshed by jose). A token whose key is not in the set is the
 * caller's problem (401); an endpoint that times out, fails or answers garbage is ours (503), so
 * an identity-provider outage does not read as "your session is invalid".
 */
function remoteKeys(url: string): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(url));
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      throw new KeySetUnavailable('the JWKS endpoint is unavailable', { cause: error });
    }
  };
}

/**
 * Verifies `Authorization: Bearer <jwt>`: signature (HS256 secret or a JWKS), issuer, audience,
 * expiry. No header: anonymous (null). A present but invalid token is refused, never ignored.
 */
export function createAuthenticator(config: ApiConfig['auth']): Authenticator {
  const key: Uint8Array | JWTVerifyGetKey =
    config.jwksUrl !== undefined
      ? remoteKeys(config.jwksUrl)
      : new TextEncoder().encode(config.jwtSecret);
  const algorithms = config.jwksUrl !== undefined ? ASYMMETRIC_ALGORITHMS : ['HS256'];

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer +([A-Za-z0-9_\-.=]+)$/i.exec(authorization.trim());
    if (match === null)
      throw new AppError('UNAUTHORIZED', 'expected "Authorization: Bearer <token>"');
    try {
      const { payload } = await jwtVerify(match[1] as string, key as Uint8Array, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return {
        subject: payload.sub as string,
        name: typeof payload.name === 'string' ? payload.name : undefined,
        roles: Array.isArray(payload.roles)
          ? payload.roles.filter((r): r is string => typeof r === 'string')
          : [],
      };
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw new AppError('UNAVAILABLE', 'cannot verify tokens right now; try again', {
          cause: error,
        });
      }
      throw new AppError('UNAUTHORIZED', 'invalid or expired token', { cause: error });
    }
  };
}
