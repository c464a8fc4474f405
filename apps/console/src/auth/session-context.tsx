import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { loadSession, type Session, storeSession } from './session';

interface SessionState {
  session: Session | null;
  signIn(session: Session): void;
  signOut(): void;
  /** The current token, read at request time (so a sign-in applies to the next request). */
  token(): string | null;
}

const SessionContext = createContext<SessionState | null>(null);

/** Holds the session in memory and mirrors it to sessionStorage. */
export function createSessionHolder() {
  let current: Session | null = loadSession();
  return {
    get: () => current,
    set: (next: Session | null) => {
      current = next;
      storeSession(next);
    },
  };
}
export type SessionHolder = ReturnType<typeof createSessionHolder>;

export function SessionProvider(props: { holder: SessionHolder; children: ReactNode }) {
  const { holder } = props;
  const [session, setSession] = useState(holder.get());
  const signIn = useCallback(
    (next: Session) => {
      holder.set(next);
      setSession(next);
    },
    [holder],
  );
  const signOut = useCallback(() => {
    holder.set(null);
    setSession(null);
  }, [holder]);
  const value = useMemo(
    () => ({ session, signIn, signOut, token: () => holder.get()?.token ?? null }),
    [session, signIn, signOut, holder],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === null) throw new Error('useSession outside SessionProvider');
  return state;
}
