import { RecursiveGaussian } from './recursive-gaussian.js';

/**
 * SSIMULACRA2 (Cloudinary's perceptual metric, as ported by the `ssimulacra2` crate 0.5): 100 is
 * identical, 90 visually lossless, 70 high quality, 50 medium. Images are compared in the XYB
 * colour space at six scales (each half the previous), by an SSIM map and by two edge maps
 * (ringing/blocking added, detail lost), each averaged with a 1-norm and a 4-norm, and summed with
 * fixed weights. Pure TypeScript on 8-bit sRGB buffers, so it runs wherever the processor runs.
 *
 * The reference side is prepared once (`Ssimulacra2Reference`) so that scoring several encodings
 * of one image (a quality search) blurs only the distorted side: 3 of the 5 blurs per plane.
 */
const NUM_SCALES = 6;
const C2 = 0.0009;

/** Raw interleaved 8-bit sRGB pixels (3 or 4 channels; alpha is ignored). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export class MetricInputError extends Error {
  override readonly name = 'MetricInputError';
}

/** The smallest side SSIMULACRA2 accepts. */
export const MIN_METRIC_SIDE = 8;

type Planes3 = [Float32Array, Float32Array, Float32Array];

interface ReferenceScale {
  width: number;
  height: number;
  xyb: Planes3;
  mu: Planes3;
  /** blur(x²) */
  sigmaSq: Planes3;
  blur: RecursiveGaussian;
  /** Scratch for the distorted side, reused by every score. */
  scratch: { xyb: Planes3; mu: Float32Array; sigmaSq: Float32Array; sigma12: Float32Array };
}

const SRGB_TO_LINEAR = (() => {
  const alpha = 1.0550107;
  const beta = 0.0030412825;
  const lut = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    lut[i] = x < 12.92 * beta ? x / 12.92 : ((x + (alpha - 1)) / alpha) ** 2.4;
  }
  return lut;
})();

const planes = (size: number): Planes3 => [
  new Float32Array(size),
  new Float32Array(size),
  new Float32Array(size),
];

function toLinearPlanes(image: RgbImage): Planes3 {
  const { data, width, height, channels } = image;
  if (channels < 3) throw new MetricInputError(`expected RGB pixels, got ${channels} channel(s)`);
  const size = width * height;
  if (data.length < size * channels) throw new MetricInputError('pixel buffer is too short');
  const [r, g, b] = planes(size);
  for (let i = 0, j = 0; i < size; i++, j += channels) {
    r[i] = SRGB_TO_LINEAR[data[j] as number] as number;
    g[i] = SRGB_TO_LINEAR[data[j + 1] as number] as number;
    b[i] = SRGB_TO_LINEAR[data[j + 2] as number] as number;
  }
  return [r, g, b];
}

/** Box 2x2 average in linear light; odd edges repeat their last row or column. */
function downscaleBy2(input: Planes3, w: number, h: number): Planes3 {
  const ow = Math.ceil(w / 2);
  const oh = Math.ceil(h / 2);
  const out = planes(ow * oh);
  for (let c = 0; c < 3; c++) {
    const src = input[c] as Float32Array;
    const dst = out[c] as Float32Array;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = 2 * oy * w;
      const y1 = Math.min(2 * oy + 1, h - 1) * w;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = 2 * ox;
        const x1 = Math.min(x0 + 1, w - 1);
        dst[oy * ow + ox] =
          ((src[y0 + x0] as number) +
            (src[y0 + x1] as number) +
            (src[y1 + x0] as number) +
            (src[y1 + x1] as number)) *
          0.25;
      }
    }
  }
  return out;
}

const M = [0.3, 0.622, 0.078, 0.23, 0.692, 0.078, 0.24342269, 0.20476745, 0.55180986] as const;
const BIAS = 0.0037930734;
const NEG_CBRT_BIAS = -Math.cbrt(BIAS);

/** Linear sRGB to XYB, then shifted and scaled so every channel is positive (as the metric does). */
function toPositiveXyb(rgb: Planes3, out: Planes3): void {
  const [r, g, b] = rgb;
  const [ox, oy, ob] = out;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = M;
  for (let i = 0; i < r.length; i++) {
    const R = r[i] as number;
    const G = g[i] as number;
    const B = b[i] as number;
    const l = Math.cbrt(Math.max(0, m0 * R + m1 * G + m2 * B + BIAS)) + NEG_CBRT_BIAS;
    const m = Math.cbrt(Math.max(0, m3 * R + m4 * G + m5 * B + BIAS)) + NEG_CBRT_BIAS;
    const s = Math.cbrt(Math.max(0, m6 * R + m7 * G + m8 * B + BIAS)) + NEG_CBRT_BIAS;
    const x = 0.5 * (l - m);
    const y = 0.5 * (l + m);
    ox[i] = x * 14 + 0.42;
    oy[i] = y + 0.01;
    ob[i] = s - y + 0.55;
  }
}

/** The reference image, converted and blurred once, ready to score any number of distortions. */
export class Ssimulacra2Reference {
  readonly width: number;
  readonly height: number;
  private readonly scales: ReferenceScale[] = [];

  constructor(image: RgbImage) {
    const { width, height } = image;
    if (width < MIN_METRIC_SIDE || height < MIN_METRIC_SIDE) {
      throw new MetricInputError(
        `image is ${width}x${height}: SSIMULACRA2 needs at least ${MIN_METRIC_SIDE}x${MIN_METRIC_SIDE}`,
      );
    }
    this.width = width;
    this.height = height;
    forEachScale(toLinearPlanes(image), width, height, (linear, w, h) => {
      const size = w * h;
      const blur = new RecursiveGaussian(w, h);
      const xyb = planes(size);
      toPositiveXyb(linear, xyb);
      const mu = planes(size);
      const sigmaSq = planes(size);
      for (let c = 0; c < 3; c++) {
        const x = xyb[c] as Float32Array;
        blur.blur(x, mu[c] as Float32Array);
        blur.blur(x, sigmaSq[c] as Float32Array, x);
      }
      const scratch = {
        xyb: planes(size),
        mu: new Float32Array(size),
        sigmaSq: new Float32Array(size),
        sigma12: new Float32Array(size),
      };
      this.scales.push({ width: w, height: h, xyb, mu, sigmaSq, blur, scratch });
    });
  }

  /** The SSIMULACRA2 score of `distorted` (same size) against this reference. */
  score(distorted: RgbImage): number {
    if (distorted.width !== this.width || distorted.height !== this.height) {
      throw new MetricInputError(
        `distorted image is ${distorted.width}x${distorted.height}, reference is ${this.width}x${this.height}`,
      );
    }
    const averages: { ssim: number[]; edge: number[] }[] = [];
    let index = 0;
    forEachScale(toLinearPlanes(distorted), this.width, this.height, (linear) => {
      const ref = this.scales[index++] as ReferenceScale;
      const { xyb, mu, sigmaSq, sigma12 } = ref.scratch;
      toPositiveXyb(linear, xyb);
      const ssim: number[] = [];
      const edge: number[] = [];
      for (let c = 0; c < 3; c++) {
        const img1 = ref.xyb[c] as Float32Array;
        const img2 = xyb[c] as Float32Array;
        ref.blur.blur(img2, mu);
        ref.blur.blur(img2, sigmaSq, img2);
        ref.blur.blur(img2, sigma12, img1);
        const maps = compareMaps(
          img1,
          ref.mu[c] as Float32Array,
          ref.sigmaSq[c] as Float32Array,
          img2,
          mu,
          sigmaSq,
          sigma12,
        );
        ssim.push(maps[0], maps[1]);
        edge.push(maps[2], maps[3], maps[4], maps[5]);
      }
      averages.push({ ssim, edge });
    });
    return weightedScore(averages);
  }
}

/** Runs `fn` on scale 0 and each halving while both sides stay at least 8 px. */
function forEachScale(
  linear: Planes3,
  width: number,
  height: number,
  fn: (linear: Planes3, w: number, h: number) => void,
): void {
  let current = linear;
  let w = width;
  let h = height;
  for (let scale = 0; scale < NUM_SCALES; scale++) {
    if (w < MIN_METRIC_SIDE || h < MIN_METRIC_SIDE) break;
    if (scale > 0) {
      current = downscaleBy2(current, w, h);
      w = Math.ceil(w / 2);
      h = Math.ceil(h / 2);
    }
    fn(current, w, h);
  }
}

/**
 * The SSIM map and the two edge maps of one plane in one pass, each averaged with a 1-norm and a
 * 4-norm: [ssim1, ssim4, artifact1, artifact4, detailLost1, detailLost4].
 */
function compareMaps(
  img1: Float32Array,
  mu1: Float32Array,
  sigma11: Float32Array,
  img2: Float32Array,
  mu2: Float32Array,
  sigma22: Float32Array,
  sigma12: Float32Array,
): [number, number, number, number, number, number] {
  let ssim1 = 0;
  let ssim4 = 0;
  let artifact1 = 0;
  let artifact4 = 0;
  let lost1 = 0;
  let lost4 = 0;
  const n = mu1.length;
  for (let i = 0; i < n; i++) {
    const m1 = mu1[i] as number;
    const m2 = mu2[i] as number;
    const muDiff = m1 - m2;
    const numM = 1 - muDiff * muDiff;
    const numS = 2 * ((sigma12[i] as number) - m1 * m2) + C2;
    const denomS = (sigma11[i] as number) - m1 * m1 + ((sigma22[i] as number) - m2 * m2) + C2;
    const s = Math.max(0, 1 - (numM * numS) / denomS);
    ssim1 += s;
    const s2 = s * s;
    ssim4 += s2 * s2;
    const d =
      (1 + Math.abs((img2[i] as number) - m2)) / (1 + Math.abs((img1[i] as number) - m1)) - 1;
    if (d > 0) {
      artifact1 += d;
      const d2 = d * d;
      artifact4 += d2 * d2;
    } else if (d < 0) {
      lost1 -= d;
      const d2 = d * d;
      lost4 += d2 * d2;
    }
  }
  const root4 = (x: number) => Math.sqrt(Math.sqrt(x / n));
  return [ssim1 / n, root4(ssim4), artifact1 / n, root4(artifact4), lost1 / n, root4(lost4)];
}

// biome-ignore format: the crate's 108 weights, kept in its order (plane, scale, norm, map).
const WEIGHT = [
  0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0, 0.0004371155730107379, 0.0,
  1.1041726426657346, 0.00066284834129271, 0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0,
  1.8422455520539298, 11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
  1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072, 0.9677937080626833, 0.0,
  0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053, 0.0004550992113792063, 0.0, 0.0,
  0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262,
  0.0006235601634041466, 0.0, 0.0, 6.683678146179332, 0.00037724407979611296, 1.027889937768264,
  225.20515300849274, 0.0, 0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
  176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757, 0.0004485436923833408, 0.0,
  0.0, 0.0, 34.77906344483772, 44.835625328877896, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
  0.0008680556573291698, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112,
  0.0, 0.0, 0.0, 0.0, 0.0, 0.0004179171803251336, 0.0017290828234722833, 0.0, 0.0020827005846636437,
  0.0, 0.0, 8.826982764996862, 23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682,
  0.9834382792465353, 0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0, 0.0, 0.0,
  0.0005130064588990679, 0.0, 0.00010854057858411537,
];

/** Sums the per-scale averages with the fixed weights and maps the sum onto the 0..100 scale. */
function weightedScore(scales: { ssim: number[]; edge: number[] }[]): number {
  let sum = 0;
  let i = 0;
  for (let c = 0; c < 3; c++) {
    for (const scale of scales) {
      for (let n = 0; n < 2; n++) {
        sum += (WEIGHT[i++] as number) * Math.abs(scale.ssim[c * 2 + n] as number);
        sum += (WEIGHT[i++] as number) * Math.abs(scale.edge[c * 4 + n] as number);
        sum += (WEIGHT[i++] as number) * Math.abs(scale.edge[c * 4 + n + 2] as number);
      }
    }
  }
  let s = sum * 0.9562382616834844;
  s = 2.326765642916932 * s - 0.020884521182843837 * s * s + 6.248496625763138e-5 * s * s * s;
  return s > 0 ? 100 - 10 * s ** 0.6276336467831387 : 100;
}

/** Scores `distorted` against `reference` in one call (prepare a reference to score several). */
export function ssimulacra2(reference: RgbImage, distorted: RgbImage): number {
  return new Ssimulacra2Reference(reference).score(distorted);
}
