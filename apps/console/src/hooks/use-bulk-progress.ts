import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { BulkJob } from '@zocket/contracts';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { keys } from '../api/queries';

export const TERMINAL: ReadonlySet<BulkJob['status']> = new Set([
  'cancelled',
  'completed',
  'failed',
]);

/** Images a job has finished with, whatever the outcome. */
export const doneOf = (job: BulkJob) =>
  job.counts.succeeded + job.counts.failed + job.counts.skipped + job.counts.cancelled;

/**
 * A bulk job kept current through `bulk.onProgress` (polling `bulk.get` every 2 s while the
 * stream is down), plus its rate and ETA from what was seen over the last minute.
 */
export function useBulkProgress(initial: BulkJob) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [streaming, setStreaming] = useState(false);
  const samples = useRef<{ at: number; done: number }[]>([]);
  const active = !TERMINAL.has(initial.status);

  useEffect(() => {
    if (!active) return;
    // The link reconnects by itself, resuming after the last tracked event id it saw.
    const subscription = api.bulk.onProgress.subscribe(
      { id: initial.id },
      {
        onConnectionStateChange: ({ state }) => setStreaming(state === 'pending'),
        onData: ({ data }) => queryClient.setQueryData(keys.bulkJob(data.id), data),
        onError: () => setStreaming(false),
        onComplete: () => setStreaming(false),
      },
    );
    return () => subscription.unsubscribe();
  }, [api, initial.id, active, queryClient]);

  const query = useQuery({
    queryKey: keys.bulkJob(initial.id),
    queryFn: ({ signal }) => api.bulk.get.query({ id: initial.id }, { signal }),
    initialData: initial,
    refetchInterval: (q) =>
      streaming || TERMINAL.has(q.state.data?.status ?? 'completed') ? false : 2_000,
  });
  const job = query.data;

  const now = Date.now();
  const done = doneOf(job);
  const history = samples.current;
  if (history.length === 0 || history[history.length - 1]?.done !== done) {
    history.push({ at: now, done });
  }
  while (history.length > 2 && (history[0]?.at ?? now) < now - 60_000) history.shift();
  const first = history[0];
  const elapsed = first === undefined ? 0 : (now - first.at) / 1000;
  const rate = first !== undefined && elapsed > 0 ? (done - first.done) / elapsed : 0;
  const remaining = Math.max(0, job.counts.total - done);
  return {
    job,
    streaming,
    done,
    rate,
    etaSeconds: rate > 0 ? remaining / rate : Number.NaN,
  };
}
