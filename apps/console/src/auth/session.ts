/** The signed-in caller, read from the token's own claims (the API verifies it; this only displays). */
export interface Session {
  token: string;
  subject: string;
  operator: boolean;
  /** Epoch milliseconds, or null when the token has no `exp`. */
  expiresAt: number | null;
}

// Session storage: the token survives a reload of this tab but not the tab itself, and never
// appears in a URL (so not in history, logs or Referer headers).
const KEY = 'zocket.console.token';

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** Reads a JWT's claims without verifying it; null when it is not a JWT with a subject. */
export function sessionFromToken(token: string): Session | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1] ?? '')) as {
      sub?: unknown;
      exp?: unknown;
      roles?: unknown;
    };
    if (typeof claims.sub !== 'string' || claims.sub === '') return null;
    return {
      token: token.trim(),
      subject: claims.sub,
      operator: Array.isArray(claims.roles) && claims.roles.includes('operator'),
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}

export function isExpired(session: Session, now = Date.now()): boolean {
  return session.expiresAt !== null && session.expiresAt <= now;
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  const session = token === null ? null : sessionFromToken(token);
  if (session === null || isExpired(session)) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return session;
}

export function storeSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, session.token);
}
