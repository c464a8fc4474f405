import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { rgbPixels } from '../../src/pipeline/image-pipeline.js';
import { inProcessScoring, ScorePool, ScorePoolClosedError } from '../../src/quality/score-pool.js';
import type { RgbImage } from '../../src/quality/ssimulacra2.js';

/** Gaussian noise over grey: every pixel differs, so a score does real work. */
function noise(width: number, height: number, seed: number): Promise<RgbImage> {
  return rgbPixels(
    sharp({
      create: {
        width,
        height,
        channels: 3,
        background: { r: 100 + seed, g: 120, b: 140 },
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    }),
  );
}

function blurred(image: RgbImage, sigma: number): Promise<RgbImage> {
  const { data, width, height } = image;
  return rgbPixels(sharp(data, { raw: { width, height, channels: 3 } }).blur(sigma));
}

const pools: ScorePool[] = [];
function pool(size: number, workerUrl?: URL): ScorePool {
  const p = workerUrl === undefined ? new ScorePool(size) : new ScorePool(size, workerUrl);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('ScorePool', () => {
  it('scores exactly as the in-process metric, two sessions at once on two workers', async () => {
    const [a, b] = await Promise.all([noise(200, 150, 0), noise(160, 120, 40)]);
    const [a1, b1] = await Promise.all([blurred(a, 1), blurred(b, 2)]);
    const scores = pool(2);
    const [sa, sb] = await Promise.all([scores.prepare(a), scores.prepare(b)]);
    const [ra, rb] = await Promise.all([inProcessScoring.prepare(a), inProcessScoring.prepare(b)]);
    const got = await Promise.all([sa?.score(a1), sb?.score(b1), sa?.score(a)]);
    expect(got).toEqual([await ra?.score(a1), await rb?.score(b1), 100]);
    expect(got[0]).toBeLessThan(90);
  });

  it('gives no session for an image too small to score', async () => {
    expect(await pool(1).prepare(await noise(7, 40, 0))).toBeUndefined();
  });

  it('leaves the event loop turning while a worker scores', async () => {
    const image = await noise(1024, 768, 0);
    const distorted = await blurred(image, 1.5);
    const scores = pool(1);
    const session = await scores.prepare(image);
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const score = await session?.score(distorted);
    done = true;
    expect(Number.isFinite(score)).toBe(true);
    // On the calling thread the score would run to its end before any other callback.
    expect(turns).toBeGreaterThan(1);
  });

  it('refuses a released session, and everything once closed', async () => {
    const image = await noise(64, 48, 0);
    const scores = pool(1);
    const session = await scores.prepare(image);
    session?.release();
    await expect(session?.score(image)).rejects.toThrow(/released/);
    const open = await scores.prepare(image);
    await scores.close();
    await expect(open?.score(image)).rejects.toBeInstanceOf(ScorePoolClosedError);
    await expect(scores.prepare(image)).rejects.toBeInstanceOf(ScorePoolClosedError);
  });

  it('fails the scores of a worker that died, and starts a new worker for the next session', async () => {
    // A stand-in worker that prepares anything and exits on its first score.
    const dying = new URL(
      `data:text/javascript,${encodeURIComponent(`
        import { parentPort } from 'node:worker_threads';
        parentPort.on('message', (t) => {
          if (t.op === 'score') process.exit(3);
          if (t.op === 'prepare') parentPort.postMessage({ task: t.task, ok: true });
        });`)}`,
    );
    const image = await noise(32, 32, 0);
    const scores = pool(1, dying);
    const session = await scores.prepare(image);
    await expect(session?.score(image)).rejects.toThrow(/exited with code 3/);
    await expect(session?.score(image)).rejects.toThrow(/worker is gone/);
    expect(await scores.prepare(image)).toBeDefined();
  });
});
