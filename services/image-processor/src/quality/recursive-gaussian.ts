/**
 * The recursive Gaussian (sigma 1.5) that SSIMULACRA2 blurs with: three damped cosines run forward
 * over a row or a column (Charalampidis 2016, as in libjxl and the `ssimulacra2` crate). Its
 * coefficients are derived here once, the way the crate's build script does.
 */
const SIGMA = 1.5;

function coefficients() {
  const radius = Math.round(3.2795 * SIGMA + 0.2546);
  const piDiv2r = Math.PI / (2 * radius);
  const omega = [piDiv2r, 3 * piDiv2r, 5 * piDiv2r] as const;
  const p1 = 1 / Math.tan(0.5 * omega[0]);
  const p3 = -1 / Math.tan(0.5 * omega[1]);
  const p5 = 1 / Math.tan(0.5 * omega[2]);
  const r1 = (p1 * p1) / Math.sin(omega[0]);
  const r3 = (-p3 * p3) / Math.sin(omega[1]);
  const r5 = (p5 * p5) / Math.sin(omega[2]);
  const rho = omega.map((w) => Math.exp(-0.5 * SIGMA * SIGMA * w * w) / radius) as [
    number,
    number,
    number,
  ];
  const d13 = p1 * r3 - r1 * p3;
  const d35 = p3 * r5 - r3 * p5;
  const d51 = p5 * r1 - r5 * p1;
  const zeta15 = d35 / d13;
  const zeta35 = d51 / d13;
  // beta = A^-1 * gamma, A = [[p1 p3 p5], [r1 r3 r5], [zeta15 zeta35 1]].
  const a = [p1, p3, p5, r1, r3, r5, zeta15, zeta35, 1];
  const gamma = [1, radius * radius - SIGMA * SIGMA, zeta15 * rho[0] + zeta35 * rho[1] + rho[2]];
  const beta = solve3(a, gamma);
  const n2 = omega.map((w, i) => -(beta[i] as number) * Math.cos(w * (radius + 1)));
  const d1 = omega.map((w) => -2 * Math.cos(w));
  return { radius, n2: n2 as [number, number, number], d1: d1 as [number, number, number] };
}

/** Solves the 3x3 system m * x = v (Cramer's rule: m is well conditioned here). */
function solve3(m: number[], v: number[]): number[] {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0, i = 0] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const [x = 0, y = 0, z = 0] = v;
  return [
    (x * (e * i - f * h) - b * (y * i - f * z) + c * (y * h - e * z)) / det,
    (a * (y * i - f * z) - x * (d * i - f * g) + c * (d * z - y * g)) / det,
    (a * (e * z - y * h) - b * (d * z - y * g) + x * (d * h - e * g)) / det,
  ];
}

const K = coefficients();
const N = K.radius;
const [IN1, IN3, IN5] = K.n2;
const [D1, D3, D5] = K.d1;

/** A blur for planes of one size, reusing its scratch buffers. */
export class RecursiveGaussian {
  private readonly temp: Float32Array;
  private readonly state: Float32Array[];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.temp = new Float32Array(width * height);
    this.state = Array.from({ length: 6 }, () => new Float32Array(width));
  }

  /** Blurs `input` into `output` (both width x height, row-major). */
  blur(input: Float32Array, output: Float32Array): void {
    this.horizontal(input, this.temp);
    this.vertical(this.temp, output);
  }

  private horizontal(input: Float32Array, output: Float32Array): void {
    const w = this.width;
    for (let y = 0; y < this.height; y++) {
      const row = y * w;
      let prev1 = 0;
      let prev3 = 0;
      let prev5 = 0;
      let prev21 = 0;
      let prev23 = 0;
      let prev25 = 0;
      for (let n = -N + 1; n < w; n++) {
        const left = n - N - 1;
        const right = n + N - 1;
        const sum =
          (left >= 0 ? (input[row + left] as number) : 0) +
          (right < w ? (input[row + right] as number) : 0);
        const out1 = sum * IN1 - D1 * prev1 - prev21;
        const out3 = sum * IN3 - D3 * prev3 - prev23;
        const out5 = sum * IN5 - D5 * prev5 - prev25;
        prev21 = prev1;
        prev23 = prev3;
        prev25 = prev5;
        prev1 = out1;
        prev3 = out3;
        prev5 = out5;
        if (n >= 0) output[row + n] = out1 + out3 + out5;
      }
    }
  }

  /** All columns at once, row by row, so memory is read in order. */
  private vertical(input: Float32Array, output: Float32Array): void {
    const w = this.width;
    const h = this.height;
    const [p1, p3, p5, q1, q3, q5] = this.state as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    for (const s of this.state) s.fill(0);
    for (let n = -N + 1; n < h; n++) {
      const top = n - N - 1;
      const bottom = n + N - 1;
      const topRow = top >= 0 ? top * w : -1;
      const bottomRow = bottom < h ? bottom * w : -1;
      const outRow = n >= 0 ? n * w : -1;
      for (let x = 0; x < w; x++) {
        const sum =
          (topRow >= 0 ? (input[topRow + x] as number) : 0) +
          (bottomRow >= 0 ? (input[bottomRow + x] as number) : 0);
        const a1 = p1[x] as number;
        const a3 = p3[x] as number;
        const a5 = p5[x] as number;
        const out1 = sum * IN1 - D1 * a1 - (q1[x] as number);
        const out3 = sum * IN3 - D3 * a3 - (q3[x] as number);
        const out5 = sum * IN5 - D5 * a5 - (q5[x] as number);
        q1[x] = a1;
        q3[x] = a3;
        q5[x] = a5;
        p1[x] = out1;
        p3[x] = out3;
        p5[x] = out5;
        if (outRow >= 0) output[outRow + x] = out1 + out3 + out5;
      }
    }
  }
}
