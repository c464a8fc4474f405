import { randomUUID } from 'node:crypto';
import { recordBulkItemOutcome } from '@zocket/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, EXIT, runReprocess } from '../src/bulk/reprocess-cli.js';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';

describe('npm run reprocess (the CLI against a real API)', () => {
  let world: ApiWorld;
  let operator: string;
  let productIds: string[];

  beforeAll(async () => {
    world = await createApiWorld({ env: { BULK_TICK_MS: '50', BULK_YIELD_LIVE_LAG: '100000' } });
    operator = await world.token(newSubject('ops'), { roles: ['operator'] });
    const seller = await world.token(newSubject('seller'));
    productIds = [];
    for (let i = 0; i < 2; i++) {
      const p = await world.createProduct(seller, {
        imageUrls: [1, 2, 3].map((n) => `https://img.example.com/${randomUUID()}/${n}.jpg`),
      });
      productIds.push(p.id);
    }
  });
  afterAll(async () => {
    await world?.close();
  });

  function io() {
    const out: string[] = [];
    const err: string[] = [];
    let interrupt: (() => void) | undefined;
    const sink: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      stream: { isTTY: false } as NodeJS.WriteStream,
      onInterrupt: (h) => {
        interrupt = h;
      },
    };
    return { sink, out, err, interrupt: () => interrupt?.() };
  }
  const run = (args: string[], sink: CliIo, token = operator) =>
    runReprocess(args, { apiUrl: world.baseUrl, token }, sink, { pollMs: 50 });

  /** Plays the processors: finishes whatever the dispatcher put in flight. */
  async function finishItems(until: () => boolean) {
    while (!until()) {
      const open = await world.api.ctx.db
        .selectFrom('bulk_job_items')
        .select(['bulk_job_id', 'image_id'])
        .where('state', '=', 'dispatched')
        .execute();
      for (const item of open) {
        await recordBulkItemOutcome(world.api.ctx.db, {
          bulkJobId: item.bulk_job_id,
          imageId: item.image_id,
          outcome: 'succeeded',
          shard: 0,
        });
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  it('prints the count for --dry-run and starts nothing', async () => {
    const { sink, out } = io();
    const code = await run(
      ['--dry-run', '--product', productIds[0] ?? '', '--status', 'pending'],
      sink,
    );
    expect(code).toBe(EXIT.completed);
    expect(out[0]).toMatch(/^3 images match/);
    const list = await world.call('GET', '/bulk/jobs', { token: operator });
    expect(list.body.items).toHaveLength(0);
  });

  it('starts a job, prints plain progress lines without a terminal, and exits 0 when it completes', async () => {
    const { sink, out } = io();
    let finished = false;
    const running = run(
      productIds.flatMap((id) => ['--product', id]),
      sink,
    ).finally(() => {
      finished = true;
    });
    await finishItems(() => finished);
    expect(await running).toBe(EXIT.completed);
    expect(out[0]).toMatch(/^6 images match/);
    expect(out[1]).toMatch(/^started bulk job [0-9a-f-]{36} \(6 images, 200 in flight\)$/);
    expect(out.some((l) => /running: \d+\/6 done/.test(l))).toBe(true);
    expect(out.at(-1)).toMatch(
      /completed: 6\/6 done \(succeeded 6, failed 0, skipped 0, cancelled 0/,
    );
  });

  it('detaches on Ctrl-C without stopping the job; --cancel ends it and --watch exits 3', async () => {
    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter: { productIds }, maxInFlight: 2 },
    });
    const id: string = started.body.id;
    const watcher = io();
    const watching = run(['--watch', id], watcher.sink);
    await waitFor(() => (watcher.out.length > 0 ? true : undefined), { what: 'a progress line' });
    watcher.interrupt();
    expect(await watching).toBe(EXIT.detached);
    expect(watcher.out.at(-1)).toContain(`--watch ${id}`);
    expect((await world.call('GET', `/bulk/jobs/${id}`, { token: operator })).body.status).toBe(
      'running',
    );

    const cancel = io();
    expect(await run(['--cancel', id], cancel.sink)).toBe(EXIT.completed);
    expect(cancel.out[0]).toContain('cancelling');
    const again = io();
    const watchingAgain = run(['--watch', id], again.sink);
    let done = false;
    void watchingAgain.finally(() => {
      done = true;
    });
    // In-flight items come back cancelled from the processors.
    while (!done) {
      const open = await world.api.ctx.db
        .selectFrom('bulk_job_items')
        .select('image_id')
        .where('bulk_job_id', '=', id)
        .where('state', '=', 'dispatched')
        .execute();
      for (const item of open) {
        await recordBulkItemOutcome(world.api.ctx.db, {
          bulkJobId: id,
          imageId: item.image_id,
          outcome: 'cancelled',
          shard: 1,
        });
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(await watchingAgain).toBe(EXIT.cancelled);
    expect(again.out.at(-1)).toMatch(/cancelled: 2\/6 done/);
  });

  it('reports API refusals with their code and exits 1; bad flags exit 2', async () => {
    const seller = await world.token(newSubject('seller'));
    const refused = io();
    expect(await run(['--dry-run'], refused.sink, seller)).toBe(EXIT.apiError);
    expect(refused.err[0]).toMatch(/^error: FORBIDDEN/);
    const bad = io();
    expect(await run(['--frobnicate'], bad.sink)).toBe(EXIT.usage);
    const invalid = io();
    expect(await run(['--dry-run', '--status', 'shiny'], invalid.sink)).toBe(EXIT.apiError);
    expect(invalid.err[0]).toMatch(/VALIDATION_FAILED/);
  });
});
