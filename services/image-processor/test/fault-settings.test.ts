import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { heartbeatIntervalMs } from '../src/jobs/job-consumer.js';

const root = join(import.meta.dirname, '..', '..', '..');

/*
 * Settings whose effect is measured by the `faults` section of `npm run bench` (a dead member's
 * stall, resident memory after 2,000 images); these tests keep them from quietly going back.
 */
describe('fault settings of the processor', () => {
  it("lets the group move a dead member's partitions within 6 s by default (the broker's floor)", () => {
    expect(loadConfig({}).kafka.sessionTimeoutMs).toBeLessThanOrEqual(6_000);
  });

  it('heartbeats at a third of the session timeout, at most every 3 s', () => {
    expect(heartbeatIntervalMs(6_000)).toBe(2_000);
    expect(heartbeatIntervalMs(30_000)).toBe(3_000);
  });

  it('runs on jemalloc in its image, as sharp recommends on glibc', () => {
    const dockerfile = readFileSync(join(root, 'services/image-processor/Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/apt-get install[^\n]*libjemalloc2/);
    expect(runtime).toMatch(/LD_PRELOAD=\/usr\/local\/lib\/libjemalloc\.so\.2/);
  });

  it('runs on jemalloc (or two glibc arenas) under npm run dev too', () => {
    const dev = readFileSync(join(root, 'scripts/dev.mjs'), 'utf8');
    expect(dev).toContain('LD_PRELOAD: jemalloc');
    expect(dev).toContain("MALLOC_ARENA_MAX: '2'");
  });
});
