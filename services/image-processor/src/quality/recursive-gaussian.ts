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

/**
 * A blur for planes of one size, reusing its scratch buffers. Rows are copied into a zero-padded
 * line first (optionally multiplied by a second plane on the way, so a product never needs a plane
 * of its own), and the vertical pass keeps its six running values per column interleaved in one
 * buffer: no bounds test or extra stream in the inner loops, which is where SSIMULACRA2 spends
 * most of its time.
 */
export class RecursiveGaussian {
  private readonly temp: Float32Array;
  /** One row with 2N zeros before it and N after it. */
  private readonly line: Float64Array;
  /** A row of zeros, read in place of the rows beyond the plane's top and bottom. */
  private readonly zeros: Float32Array;
  /** Per column: the last two outputs of each of the three filters. */
  private readonly state: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.temp = new Float32Array(width * height);
    this.line = new Float64Array(width + 3 * N);
    this.zeros = new Float32Array(width);
    this.state = new Float32Array(6 * width);
  }

  /** Blurs `input` (times `factor`, element by element, when given) into `output`; row-major. */
  blur(input: Float32Array, output: Float32Array, factor?: Float32Array): void {
    this.horizontal(input, factor, this.temp);
    this.vertical(this.temp, output);
  }

  private horizontal(input: Float32Array, factor: Float32Array | undefined, output: Float32Array) {
    const w = this.width;
    const line = this.line;
    // line[k + 2N] holds input[k]; outside the row it stays 0.
    const offset = 2 * N;
    for (let y = 0; y < this.height; y++) {
      const row = y * w;
      if (factor === undefined) {
        for (let x = 0; x < w; x++) line[x + offset] = input[row + x] as number;
      } else {
        for (let x = 0; x < w; x++) {
          line[x + offset] = (input[row + x] as number) * (factor[row + x] as number);
        }
      }
      let prev1 = 0;
      let prev3 = 0;
      let prev5 = 0;
      let prev21 = 0;
      let prev23 = 0;
      let prev25 = 0;
      // Output n (from -N + 1) sums input[n - N - 1] and input[n + N - 1], i.e. line[n + N - 1]
      // and line[n + 3N - 1].
      for (let n = -N + 1; n < w; n++) {
        const sum = (line[n + N - 1] as number) + (line[n + 3 * N - 1] as number);
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
    const state = this.state;
    state.fill(0);
    for (let n = -N + 1; n < h; n++) {
      const top = n - N - 1;
      const bottom = n + N - 1;
      const zeros = this.zeros;
      if (top >= 0)
        step(input, top * w, bottom < h ? input : zeros, bottom < h ? bottom * w : 0, w, state);
      else if (bottom < h) step(zeros, 0, input, bottom * w, w, state);
      else step(zeros, 0, zeros, 0, w, state);
      if (n >= 0) {
        const outRow = n * w;
        for (let x = 0, s = 0; x < w; x++, s += 6) {
          output[outRow + x] =
            (state[s] as number) + (state[s + 1] as number) + (state[s + 2] as number);
        }
      }
    }
  }
}

/**
 * One row of the vertical pass: feeds column x the sum of a[ao + x] and b[bo + x] (a row of
 * zeros stands for a row outside the plane). state[6x..6x+2] are the three filters' last
 * outputs, 3..5 the ones before.
 */
function step(
  a: Float32Array,
  ao: number,
  b: Float32Array,
  bo: number,
  w: number,
  state: Float32Array,
): void {
  for (let x = 0, s = 0; x < w; x++, s += 6) {
    const sum = (a[ao + x] as number) + (b[bo + x] as number);
    const a1 = state[s] as number;
    const a3 = state[s + 1] as number;
    const a5 = state[s + 2] as number;
    state[s] = sum * IN1 - D1 * a1 - (state[s + 3] as number);
    state[s + 1] = sum * IN3 - D3 * a3 - (state[s + 4] as number);
    state[s + 2] = sum * IN5 - D5 * a5 - (state[s + 5] as number);
    state[s + 3] = a1;
    state[s + 4] = a3;
    state[s + 5] = a5;
  }
}
