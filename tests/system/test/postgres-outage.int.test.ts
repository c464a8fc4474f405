import { type PrivatePostgres, startPrivatePostgres, testServices } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutageWorld, outageDrill, startOutageWorld } from '../src/outage-world.js';

/** The outage itself takes 60 s, and the backlog after it about as long on a busy machine. */
const DRILL_TIMEOUT_MS = 300_000;

/**
 * PostgreSQL stopped for 60 s under load: the processor pauses instead of spending retries. Its
 * own cluster (the API's and the processor's database), so the shared one stays up.
 */
describe('a PostgreSQL outage of 60 s', () => {
  const services = testServices();
  let postgres: PrivatePostgres;
  let world: OutageWorld;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    world = await startOutageWorld(services, { databaseUrl: postgres.url });
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
    await postgres?.close();
  });

  it(
    'costs no image: every one ends ready on its first attempt, none dead-lettered',
    async () => {
      const drill = await outageDrill(world, postgres, 'postgres');
      expect(drill.notReadyAtStop).toBeGreaterThanOrEqual(30);
      expect(drill.pausedReadiness.status).toBe(503);
      expect(drill.lateReadiness.body.paused).toEqual([
        expect.objectContaining({ dependency: 'postgres', overLimit: false }),
      ]);
      expect(drill.images).toHaveLength(drill.total);
      // Without the outage each image takes one attempt; the outage must not add any.
      expect(drill.images.filter((i) => i.status !== 'ready' || i.attempts !== 1)).toEqual([]);
      expect(drill.readyAgain.body.paused).toBeUndefined();

      expect(world.logLines(/^dependency unavailable/).map((l) => l.dependency)).toEqual([
        'postgres',
      ]);
      expect(world.logLines(/^dependency answers again/).map((l) => l.dependency)).toEqual([
        'postgres',
      ]);
      const metrics = await world.metrics();
      expect(metrics).toMatch(
        /^zocket_processor_dependency_outages_total\{dependency="postgres"\} 1$/m,
      );
      expect(metrics).not.toMatch(/^zocket_image_jobs_total\{outcome="(retried|failed)"\}/m);
    },
    DRILL_TIMEOUT_MS,
  );
});
