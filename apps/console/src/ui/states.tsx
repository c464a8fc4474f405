import { onlineManager } from '@tanstack/react-query';
import { type ReactNode, useSyncExternalStore } from 'react';
import { describeProblem, type Problem } from '../api/errors';

export function Loading(props: { what: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {props.what}…
    </p>
  );
}

export function Empty(props: { children: ReactNode }) {
  return <div className="state state-empty">{props.children}</div>;
}

const TITLES: Record<Problem['kind'], string> = {
  offline: 'Offline',
  unauthorized: 'Sign in again',
  forbidden: 'Not allowed',
  'not-found': 'Not found',
  conflict: 'Changed elsewhere',
  invalid: 'Check the input',
  'missing-procedure': 'Not available on this API yet',
  unavailable: 'Temporarily unavailable',
  other: 'Something went wrong',
};

/** An error, said in words; `retry` offers the obvious next step. */
export function ErrorState(props: { error: unknown; retry?: () => void; what?: string }) {
  const problem = describeProblem(props.error);
  return (
    <div className={`state state-error problem-${problem.kind}`} role="alert">
      <strong>{TITLES[problem.kind]}</strong>
      {props.what === undefined ? null : <span> while loading {props.what}</span>}
      <p>{problem.message}</p>
      {problem.kind === 'missing-procedure' ? (
        <p className="hint">This part of the console needs a newer API.</p>
      ) : null}
      {props.retry === undefined ? null : (
        <button type="button" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  );
}

const subscribeOnline = (listener: () => void) => onlineManager.subscribe(listener);

/** A banner while the browser says it is offline (queries pause and resume by themselves). */
export function OfflineBanner() {
  const online = useSyncExternalStore(subscribeOnline, () => onlineManager.isOnline());
  if (online) return null;
  return (
    <div className="banner banner-offline" role="status">
      You are offline. The console shows what it last loaded and catches up when you are back.
    </div>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span className={`badge badge-${props.status}`}>{props.status}</span>;
}
