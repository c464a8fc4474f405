import {
  createTestDatabase,
  type PrivateS3,
  startPrivateS3,
  type TestDatabase,
  testServices,
} from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutageWorld, outageDrill, startOutageWorld } from '../src/outage-world.js';

/** The outage itself takes 60 s, and the backlog after it about as long on a busy machine. */
const DRILL_TIMEOUT_MS = 300_000;

/**
 * S3 killed for 60 s under load: the processor pauses instead of spending retries. Its own
 * S3Proxy, so the shared one other tests use stays up.
 */
describe('an S3 outage of 60 s', () => {
  const services = testServices();
  let s3: PrivateS3;
  let database: TestDatabase;
  let world: OutageWorld;

  beforeAll(async () => {
    s3 = await startPrivateS3();
    database = await createTestDatabase(services);
    world = await startOutageWorld(services, {
      databaseUrl: database.url,
      s3,
      // Below the outage, so the drill also sees the over-limit alarm (the processor keeps waiting).
      processorEnv: { OUTAGE_ALERT_AFTER_MS: '30000' },
    });
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
    await database?.drop();
    await s3?.close();
  });

  it(
    'costs no image: every one ends ready on its first attempt, none dead-lettered',
    async () => {
      const drill = await outageDrill(world, s3, 's3');
      expect(drill.notReadyAtStop).toBeGreaterThanOrEqual(30);
      expect(drill.pausedReadiness.body.consumer).toBe('paused: s3 unavailable');
      expect(drill.lateReadiness.status).toBe(503);
      expect(drill.lateReadiness.body.paused).toEqual([
        expect.objectContaining({ dependency: 's3', overLimit: true }),
      ]);
      expect(drill.images).toHaveLength(drill.total);
      // Without the outage each image takes one attempt; the outage must not add any.
      expect(drill.images.filter((i) => i.status !== 'ready' || i.attempts !== 1)).toEqual([]);
      expect(drill.readyAgain.body.paused).toBeUndefined();

      // One line and one count per change of state, not per job.
      const paused = world.logLines(/^dependency unavailable/);
      expect(paused.map((l) => l.dependency)).toEqual(['s3']);
      expect(world.logLines(/^dependency answers again/).map((l) => l.dependency)).toEqual(['s3']);
      expect(world.logLines(/outlasts OUTAGE_ALERT_AFTER_MS/)).toHaveLength(1);
      const metrics = await world.metrics();
      expect(metrics).toMatch(/^zocket_processor_dependency_outages_total\{dependency="s3"\} 1$/m);
      expect(metrics).toMatch(/^zocket_processor_dependency_paused\{dependency="s3"\} 0$/m);
      expect(metrics).not.toMatch(/^zocket_image_jobs_total\{outcome="(retried|failed)"\}/m);
    },
    DRILL_TIMEOUT_MS,
  );
});
