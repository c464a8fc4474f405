import type { RgbImage } from '../../src/quality/ssimulacra2.js';

/**
 * Deterministic test images made from formulas (no codec, no randomness), so reference scores
 * measured once with another SSIMULACRA2 implementation stay valid on any machine.
 */
export function pattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const ripple = Math.sin(x * 0.31) * Math.cos(y * 0.23) * 60;
      const hatch = ((x * 7 + y * 13) % 17) * 3;
      data[i] = clamp(40 + (x * 160) / width + ripple);
      data[i + 1] = clamp(60 + (y * 140) / height - ripple * 0.5 + hatch);
      data[i + 2] = clamp(200 - (x * 100) / width + (((x >> 3) + (y >> 3)) % 2) * 40);
    }
  }
  return { data, width, height, channels: 3 };
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

/** A 3x3 box blur of every channel (loses detail). */
export function boxBlur(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
            sum += data[(yy * width + xx) * 3 + c] as number;
            n++;
          }
        }
        out[(y * width + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return { ...image, data: out };
}

/** Every channel rounded to a multiple of `step` (banding, blocking-like artefacts). */
export function posterize(image: RgbImage, step: number): RgbImage {
  return { ...image, data: image.data.map((v) => clamp(Math.round(v / step) * step)) };
}

/** A mild, deterministic dither: +/- amount on a checkerboard (added noise). */
export function dither(image: RgbImage, amount: number): RgbImage {
  const { width, data } = image;
  return {
    ...image,
    data: data.map((v, i) => {
      const p = Math.floor(i / 3);
      const sign = ((p % width) + Math.floor(p / width)) % 2 === 0 ? 1 : -1;
      return clamp(v + sign * amount);
    }),
  };
}
