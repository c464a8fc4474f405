import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiOrigin } from '../api/client';
import { isExpired, sessionFromToken } from '../auth/session';
import { useSession } from '../auth/session-context';
import { useRouter } from '../ui/router';

async function mintDevToken(subject: string, operator: boolean): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${apiOrigin()}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, operator }),
    });
  } catch {
    throw new Error('The API cannot be reached.');
  }
  if (response.status === 404) {
    throw new Error('This API does not mint development tokens (production): paste a token.');
  }
  const body = (await response.json().catch(() => ({}))) as {
    token?: string;
    error?: { message?: string; fields?: Record<string, string[]> };
  };
  if (!response.ok || body.token === undefined) {
    const field = Object.values(body.error?.fields ?? {})[0]?.[0];
    throw new Error(field ?? body.error?.message ?? `sign-in failed (HTTP ${response.status})`);
  }
  return body.token;
}

/** Sign in by pasting a token, or (outside production) as any subject with a development token. */
export function SignInPage() {
  const { signIn } = useSession();
  const { path, navigate } = useRouter();
  const queryClient = useQueryClient();
  const [pasted, setPasted] = useState('');
  const [subject, setSubject] = useState('');
  const [operator, setOperator] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const finish = (token: string) => {
    const session = sessionFromToken(token);
    if (session === null) throw new Error('That is not a JWT with a subject (sub).');
    if (isExpired(session)) throw new Error('That token has expired.');
    signIn(session);
    queryClient.clear();
    // From /sign-in go to the products; elsewhere (a protected page) stay where we were.
    if (path === '/sign-in') navigate('/', { replace: true });
  };

  const onPaste = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      finish(pasted);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const onSignInAs = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      finish(await mintDevToken(subject.trim(), operator));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      <p className="lede">
        Reading the catalogue needs no sign-in; creating and changing products does. The token stays
        in this tab only.
      </p>
      {error === null ? null : (
        <p className="state state-error" role="alert">
          {error}
        </p>
      )}
      <div className="cards">
        <form className="card" onSubmit={onSignInAs} aria-labelledby="sign-in-as">
          <h2 id="sign-in-as">Sign in as (development)</h2>
          <label>
            Subject
            <input
              name="subject"
              value={subject}
              onChange={(e) => setSubject(e.target.value)}
              placeholder="alice"
              autoComplete="username"
              required
            />
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              name="operator"
              checked={operator}
              onChange={(e) => setOperator(e.target.checked)}
            />
            Operator (may run bulk jobs)
          </label>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <form className="card" onSubmit={onPaste} aria-labelledby="paste-token">
          <h2 id="paste-token">Paste a token</h2>
          <label>
            Bearer token (JWT)
            <textarea
              name="token"
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              rows={4}
              spellCheck={false}
              placeholder="eyJhbGciOi…"
              required
            />
          </label>
          <p className="hint">
            <code>npm run token -- alice</code> prints one for a local API.
          </p>
          <button type="submit">Use this token</button>
        </form>
      </div>
    </section>
  );
}
