import { parseArgs } from 'node:util';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { BulkFilter, BulkJob } from '@zocket/contracts';
import cliProgress from 'cli-progress';
import type { AppRouter } from '../trpc/app.router.js';

/** Exit codes of `npm run reprocess` (documented in docs/operations.md). */
export const EXIT = {
  completed: 0,
  apiError: 1,
  usage: 2,
  cancelled: 3,
  failed: 4,
  detached: 130,
} as const;

export const USAGE = `usage:
  npm run reprocess -- [--profile V] [--status S[,S]] [--owner ID] [--product ID]... [--max-in-flight N] [--dry-run]
  npm run reprocess -- --watch ID | --pause ID | --resume ID | --cancel ID
  --profile V   images whose variants are not from profile V (e.g. v2 after a bump)
  --status S    pending, processing, ready, failed (comma-separated)
  --owner ID    the products' ownerId
  no filter     every image
environment: ZOCKET_API_URL (default http://127.0.0.1:8080), ZOCKET_TOKEN (default: a development
operator token signed with AUTH_JWT_SECRET)
exit codes: 0 completed, 1 API error, 2 usage, 3 cancelled, 4 failed, 130 detached (Ctrl-C)`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The stream the progress bar draws on; plain lines when it is not a terminal. */
  stream: NodeJS.WriteStream;
  onInterrupt: (handler: () => void) => void;
}

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

function done(job: BulkJob): number {
  const c = job.counts;
  return c.succeeded + c.failed + c.skipped + c.cancelled;
}

function summary(job: BulkJob): string {
  const c = job.counts;
  return `${job.status}: ${done(job)}/${c.total} done (succeeded ${c.succeeded}, failed ${c.failed}, skipped ${c.skipped}, cancelled ${c.cancelled}; dispatched ${c.dispatched})`;
}

function exitCodeOf(job: BulkJob): number {
  if (job.status === 'completed') return EXIT.completed;
  if (job.status === 'cancelled') return EXIT.cancelled;
  return EXIT.failed;
}

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);

/** Shows the job until it ends (bar on a terminal, plain lines otherwise); Ctrl-C detaches. */
async function watch(client: Client, id: string, io: CliIo, pollMs: number): Promise<number> {
  const tty = io.stream.isTTY === true;
  let detached = false;
  let wake: (() => void) | undefined;
  io.onInterrupt(() => {
    detached = true;
    wake?.();
  });
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          stream: io.stream,
          format:
            ' {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | failed {failed} skipped {skipped} | {status}',
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = Date.now();
  let first: number | undefined;
  let lastStatus = '';
  let lastLineAt = 0;
  let job = await client.bulk.get.query({ id });
  bar?.start(job.counts.total, done(job), {
    rate: '0.0',
    failed: 0,
    skipped: 0,
    status: job.status,
  });
  for (;;) {
    first ??= done(job);
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? ((done(job) - first) / elapsed).toFixed(1) : '0.0';
    const payload = {
      rate,
      failed: job.counts.failed,
      skipped: job.counts.skipped,
      status: job.status,
    };
    if (bar !== undefined) {
      bar.setTotal(job.counts.total);
      bar.update(done(job), payload);
    } else {
      // Plain output for logs: on every change of status, else at most every 5 s.
      if (job.status !== lastStatus || Date.now() - lastLineAt >= 5_000) {
        io.out(`${new Date().toISOString()} ${summary(job)} rate ${rate}/s`);
        lastStatus = job.status;
        lastLineAt = Date.now();
      }
    }
    if (TERMINAL.has(job.status) || detached) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (detached) break;
    job = await client.bulk.get.query({ id });
  }
  bar?.stop();
  if (detached) {
    io.out(`detached; bulk job ${id} keeps running. Watch it: npm run reprocess -- --watch ${id}`);
    return EXIT.detached;
  }
  io.out(`bulk job ${id} ${summary(job)}`);
  return exitCodeOf(job);
}

/** Runs the CLI with parsed argv; returns the exit code. */
export async function runReprocess(
  argv: string[],
  env: { apiUrl: string; token: string },
  io: CliIo,
  options: { pollMs?: number } = {},
): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.values.help === true) {
    io.out(USAGE);
    return EXIT.completed;
  }
  const client: Client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${env.apiUrl.replace(/\/+$/, '')}/trpc`,
        headers: () => ({ authorization: `Bearer ${env.token}` }),
      }),
    ],
  });
  const pollMs = options.pollMs ?? 1_000;
  const v = args.values;
  try {
    for (const verb of ['pause', 'resume', 'cancel'] as const) {
      const id = v[verb];
      if (id !== undefined) {
        const job = await client.bulk[verb].mutate({ id });
        io.out(`bulk job ${job.id} ${summary(job)}`);
        return EXIT.completed;
      }
    }
    if (v.watch !== undefined) return await watch(client, v.watch, io, pollMs);

    const filter: BulkFilter = {
      ...(v.profile === undefined ? {} : { profileNot: v.profile }),
      ...(v.status === undefined
        ? {}
        : { statuses: v.status.split(',').map((s) => s.trim()) as BulkFilter['statuses'] }),
      ...(v.owner === undefined ? {} : { ownerId: v.owner }),
      ...(v.product === undefined ? {} : { productIds: v.product }),
    };
    const { total } = await client.bulk.preview.mutate({ filter });
    io.out(`${total} image${total === 1 ? '' : 's'} match ${JSON.stringify(filter)}`);
    if (v['dry-run'] === true) return EXIT.completed;
    const maxInFlight = v['max-in-flight'] === undefined ? undefined : Number(v['max-in-flight']);
    const job = await client.bulk.start.mutate({
      filter,
      ...(maxInFlight === undefined ? {} : { maxInFlight }),
    });
    io.out(`started bulk job ${job.id} (${job.counts.total} images, ${job.maxInFlight} in flight)`);
    return await watch(client, job.id, io, pollMs);
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as
        | { appCode?: string; fields?: Record<string, string[]> }
        | undefined;
      const fields = data?.fields ? ` ${JSON.stringify(data.fields)}` : '';
      io.err(`error: ${data?.appCode ?? 'API'}: ${error.message}${fields}`);
    } else {
      io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return EXIT.apiError;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      profile: { type: 'string' },
      status: { type: 'string' },
      owner: { type: 'string' },
      product: { type: 'string', multiple: true },
      'max-in-flight': { type: 'string' },
      'dry-run': { type: 'boolean' },
      watch: { type: 'string' },
      pause: { type: 'string' },
      resume: { type: 'string' },
      cancel: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
