import { describe, expect, it } from 'vitest';
import { isExpired, sessionFromToken } from '../src/auth/session';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${part({ alg: 'HS256' })}.${part(claims)}.c2lnbmF0dXJl`;

describe('a session read from a token', () => {
  it('knows the subject, whether it is an operator, and when it expires', () => {
    const session = sessionFromToken(
      jwt({ sub: 'alice', roles: ['operator'], exp: 2_000_000_000 }),
    );
    expect(session).toMatchObject({
      subject: 'alice',
      operator: true,
      expiresAt: 2_000_000_000_000,
    });
    expect(sessionFromToken(jwt({ sub: 'bob' }))?.operator).toBe(false);
  });

  it('reads a subject with characters outside ASCII', () => {
    expect(sessionFromToken(jwt({ sub: 'zoë' }))?.subject).toBe('zoë');
  });

  it('refuses what is not a JWT with a subject', () => {
    for (const token of ['', 'abc', 'a.b.c', jwt({ name: 'no subject' }), jwt({ sub: '' })]) {
      expect(sessionFromToken(token), token).toBeNull();
    }
  });

  it('is expired once exp has passed', () => {
    const session = sessionFromToken(jwt({ sub: 'a', exp: 100 }));
    expect(session).not.toBeNull();
    if (session !== null) {
      expect(isExpired(session, 99_000)).toBe(false);
      expect(isExpired(session, 100_000)).toBe(true);
    }
  });
});
