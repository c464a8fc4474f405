import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { BulkFilter, BulkJob, ImageStatus } from '@zocket/contracts';
import { type FormEvent, useState } from 'react';
import { useApi } from '../api/api-context';
import { keys } from '../api/queries';
import { useSession } from '../auth/session-context';
import { TERMINAL, useBulkProgress } from '../hooks/use-bulk-progress';
import { formatDate, formatDuration } from '../ui/format';
import { Link } from '../ui/router';
import { Empty, ErrorState, Loading, StatusBadge } from '../ui/states';

const STATUSES: ImageStatus[] = ['pending', 'processing', 'ready', 'failed'];

function DlqCount() {
  const api = useApi();
  const dlq = useQuery({
    queryKey: keys.dlqCount,
    queryFn: ({ signal }) => api.bulk.dlqCount.query(undefined, { signal }),
    refetchInterval: 10_000,
  });
  return (
    <div className="stat" data-testid="dlq">
      <span className="muted">Dead-letter queue</span>
      {dlq.isPending ? (
        <span>…</span>
      ) : dlq.isError ? (
        <ErrorState error={dlq.error} />
      ) : (
        <strong data-testid="dlq-count">
          {dlq.data.count.toLocaleString()} {dlq.data.count === 1 ? 'message' : 'messages'}
        </strong>
      )}
    </div>
  );
}

/** The CLI's filters: --profile-not, --status, --owner, --product. */
function StartForm() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [profileNot, setProfileNot] = useState('');
  const [statuses, setStatuses] = useState<ImageStatus[]>([]);
  const [ownerId, setOwnerId] = useState('');
  const [productIds, setProductIds] = useState('');
  const [maxInFlight, setMaxInFlight] = useState('');

  const filter = (): BulkFilter => {
    const f: BulkFilter = {};
    if (profileNot.trim() !== '') f.profileNot = profileNot.trim();
    if (statuses.length > 0) f.statuses = statuses;
    if (ownerId.trim() !== '') f.ownerId = ownerId.trim();
    const ids = productIds
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length > 0) f.productIds = ids;
    return f;
  };

  const preview = useMutation({
    mutationFn: () => api.bulk.preview.mutate({ filter: filter() }),
  });
  const start = useMutation({
    mutationFn: () =>
      api.bulk.start.mutate({
        filter: filter(),
        ...(maxInFlight.trim() === '' ? {} : { maxInFlight: Number(maxInFlight) }),
      }),
    onSuccess: async (job) => {
      queryClient.setQueryData(keys.bulkJob(job.id), job);
      preview.reset();
      await queryClient.invalidateQueries({ queryKey: keys.bulkJobs });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate();
  };

  return (
    <form className="card bulk-form" onSubmit={submit} aria-labelledby="start-bulk">
      <h2 id="start-bulk">Reprocess images in bulk</h2>
      <p className="muted small">An empty filter takes every image.</p>
      <label>
        Profile is not
        <input
          name="profileNot"
          value={profileNot}
          onChange={(e) => setProfileNot(e.target.value)}
          placeholder="v2"
        />
      </label>
      <fieldset>
        <legend>Status</legend>
        {STATUSES.map((s) => (
          <label key={s} className="checkbox">
            <input
              type="checkbox"
              name="status"
              value={s}
              checked={statuses.includes(s)}
              onChange={(e) =>
                setStatuses((all) => (e.target.checked ? [...all, s] : all.filter((x) => x !== s)))
              }
            />
            {s}
          </label>
        ))}
      </fieldset>
      <label>
        Owner id
        <input
          name="ownerId"
          value={ownerId}
          onChange={(e) => setOwnerId(e.target.value)}
          placeholder="uuid"
          spellCheck={false}
        />
      </label>
      <label>
        Product ids (comma or space separated)
        <textarea
          name="productIds"
          value={productIds}
          onChange={(e) => setProductIds(e.target.value)}
          rows={2}
          spellCheck={false}
        />
      </label>
      <label>
        Max in flight
        <input
          name="maxInFlight"
          inputMode="numeric"
          value={maxInFlight}
          onChange={(e) => setMaxInFlight(e.target.value)}
          placeholder="server default"
          size={8}
        />
      </label>
      <div className="actions">
        <button type="button" onClick={() => preview.mutate()} disabled={preview.isPending}>
          Dry run
        </button>
        <button type="submit" className="primary" disabled={start.isPending}>
          {start.isPending ? 'Starting…' : 'Start'}
        </button>
        {preview.data === undefined ? null : (
          <span data-testid="preview-total">
            {preview.data.total.toLocaleString()} images match
          </span>
        )}
      </div>
      {preview.isError ? <ErrorState error={preview.error} /> : null}
      {start.isError ? <ErrorState error={start.error} /> : null}
    </form>
  );
}

function JobCard(props: { job: BulkJob }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { job, done, rate, etaSeconds, streaming } = useBulkProgress(props.job);
  const control = useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'cancel') => api.bulk[action].mutate({ id: job.id }),
    onSuccess: (next) => queryClient.setQueryData(keys.bulkJob(next.id), next),
  });
  const percent = job.counts.total === 0 ? 100 : Math.floor((done / job.counts.total) * 100);
  return (
    <li className="card job" data-testid="bulk-job" data-status={job.status}>
      <header>
        <h3>
          {job.kind} <code className="small">{job.id.slice(0, 8)}</code>
        </h3>
        <StatusBadge status={job.status} />
        {streaming ? <span className="live live-live">live</span> : null}
      </header>
      <progress max={Math.max(job.counts.total, 1)} value={done} aria-label="done" />
      <p>
        <strong data-testid="bulk-done">
          {done.toLocaleString()} / {job.counts.total.toLocaleString()}
        </strong>{' '}
        ({percent} %) · {rate > 0 ? `${rate.toFixed(1)} images/s` : 'rate —'} · ETA{' '}
        {TERMINAL.has(job.status) ? 'done' : formatDuration(etaSeconds)}
      </p>
      <p className="muted small">
        succeeded {job.counts.succeeded} · failed{' '}
        <span className={job.counts.failed > 0 ? 'growth' : ''}>{job.counts.failed}</span> · skipped{' '}
        {job.counts.skipped} · cancelled {job.counts.cancelled} · dispatched {job.counts.dispatched}{' '}
        · max in flight {job.maxInFlight} · by {job.createdBy} · {formatDate(job.createdAt)}
      </p>
      {job.lastError === null ? null : (
        <p className="state state-error">Last error: {job.lastError}</p>
      )}
      <div className="actions">
        {job.status === 'running' ? (
          <button type="button" onClick={() => control.mutate('pause')}>
            Pause
          </button>
        ) : null}
        {job.status === 'paused' ? (
          <button type="button" onClick={() => control.mutate('resume')}>
            Resume
          </button>
        ) : null}
        {job.status === 'running' || job.status === 'paused' ? (
          <button type="button" className="danger-outline" onClick={() => control.mutate('cancel')}>
            Cancel
          </button>
        ) : null}
      </div>
      {control.isError ? <ErrorState error={control.error} /> : null}
    </li>
  );
}

/** Operators only: bulk reprocessing, its live progress, and the dead-letter queue. */
export function OperationsPage() {
  const api = useApi();
  const { session } = useSession();
  const jobs = useQuery({
    queryKey: keys.bulkJobs,
    queryFn: ({ signal }) => api.bulk.list.query({ limit: 20 }, { signal }),
    enabled: session?.operator === true,
  });
  if (session === null || !session.operator) {
    return (
      <section>
        <h1>Operations</h1>
        <p className="state state-error">
          Operations are for operators. <Link to="/sign-in">Sign in as an operator</Link>.
        </p>
      </section>
    );
  }
  return (
    <section className="operations">
      <div className="page-head">
        <h1>Operations</h1>
        <DlqCount />
      </div>
      <StartForm />
      <h2>Bulk jobs</h2>
      {jobs.isPending ? (
        <Loading what="bulk jobs" />
      ) : jobs.isError ? (
        <ErrorState error={jobs.error} retry={() => void jobs.refetch()} what="bulk jobs" />
      ) : jobs.data.items.length === 0 ? (
        <Empty>
          <p>No bulk job has run yet.</p>
        </Empty>
      ) : (
        <ul className="jobs">
          {jobs.data.items.map((job) => (
            <JobCard key={job.id} job={job} />
          ))}
        </ul>
      )}
    </section>
  );
}
