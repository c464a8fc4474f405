import { type ZocketErrorInfo, zocketError } from '@zocket/client';
import { useEffect, useState } from 'react';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'error'; error: ZocketErrorInfo }
  | { state: 'ready'; data: T };

/** Runs `load` whenever `key` changes, cancelling the previous call. */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names everything `load` reads.
  useEffect(() => {
    const controller = new AbortController();
    setResult({ state: 'loading' });
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResult({ state: 'ready', data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setResult({ state: 'error', error: zocketError(error) });
      },
    );
    return () => controller.abort();
  }, [key]);
  return result;
}

export function problemText(error: ZocketErrorInfo): string {
  switch (error.code) {
    case 'NETWORK':
      return 'The shop cannot be reached. Check your connection and try again.';
    case 'NOT_FOUND':
      return 'This product does not exist (any more).';
    case 'VALIDATION_FAILED':
    case 'BAD_REQUEST':
      return `Those filters do not work: ${Object.values(error.fields).flat().join('; ') || error.message}`;
    case 'TOO_MANY_REQUESTS':
      return 'Too many requests: wait a moment and try again.';
    default:
      return `Something went wrong (${error.code}).`;
  }
}
