/**
 * Finds the lowest encoder quality whose output reaches a perceptual score, in few encodes: a
 * first guess, then steps sized by the score's slope, then interpolation inside the bracket
 * (the score rises with quality, nearly linearly over the useful range). Stops when the bracket
 * is one quality step wide, when the passing candidate is within `tolerance` of the target, or
 * after `maxProbes` encodes. If it runs out of probes before any probe passed, it makes one more,
 * extrapolated above the target, so a search costs at most `maxProbes + 1` encodes.
 *
 * Deterministic by construction: the only bound is a number of encodes, never a clock, so the
 * same pixels and target always give the same quality (and the same bytes under the same key).
 */
export interface QualityTarget {
  /** Minimum score (SSIMULACRA2) the chosen quality must reach. */
  score: number;
  minQuality: number;
  maxQuality: number;
  /** First quality tried: the typical answer, so most images need two or three encodes. */
  startQuality: number;
  /** Encodes the search may make (plus one extrapolated probe when none of them passed). */
  maxProbes: number;
  /** A passing probe scoring less than this above the target ends the search. */
  tolerance: number;
  /** Expected score gain per quality step, for the first steps before two probes bracket it. */
  slope: number;
}

export interface Probe<T> {
  quality: number;
  score: number;
  output: T;
}

export interface SearchResult<T> {
  /** The lowest passing probe; when none passed, the highest-quality probe made. */
  best: Probe<T>;
  /** Whether `best` reaches the target. */
  reached: boolean;
  probes: number;
  /** Why the search ended. */
  stop: 'converged' | 'probes' | 'bounds';
}

export interface SearchDeps<T> {
  /** Encodes at `quality` and scores the result against the reference. */
  measure(quality: number): Promise<{ score: number; output: T }>;
}

export async function searchQuality<T>(
  target: QualityTarget,
  deps: SearchDeps<T>,
): Promise<SearchResult<T>> {
  const clamp = (q: number) =>
    Math.min(target.maxQuality, Math.max(target.minQuality, Math.round(q)));
  let pass: Probe<T> | undefined; // lowest quality known to pass
  let fail: Probe<T> | undefined; // highest quality known to fail
  let probes = 0;
  let next = clamp(target.startQuality);
  let stop: SearchResult<T>['stop'];

  for (;;) {
    const { score, output } = await deps.measure(next);
    probes++;
    const probe = { quality: next, score, output };
    if (score >= target.score) {
      if (pass === undefined || next < pass.quality) pass = probe;
    } else if (fail === undefined || next > fail.quality) {
      fail = probe;
    }

    const candidate = nextQuality(target, pass, fail);
    if (candidate === undefined) {
      stop = pass === undefined ? 'bounds' : 'converged';
      break;
    }
    if (pass !== undefined && pass.score - target.score < target.tolerance) {
      stop = 'converged';
      break;
    }
    if (probes >= target.maxProbes) {
      stop = 'probes';
      break;
    }
    next = clamp(candidate);
  }

  if (pass === undefined && stop !== 'bounds') {
    // Out of probes with nothing passing: one last probe, extrapolated past the target
    // with a step's margin, rather than shipping an image known to be below it.
    const last = fail as Probe<T>;
    const step = Math.ceil((target.score - last.score) / target.slope) + 1;
    const quality = clamp(last.quality + Math.max(1, step));
    if (quality > last.quality) {
      const { score, output } = await deps.measure(quality);
      probes++;
      const probe = { quality, score, output };
      if (score >= target.score) pass = probe;
      else fail = probe;
    }
  }
  if (pass !== undefined) return { best: pass, reached: true, probes, stop };
  // Nothing passed (the ceiling is too low for this image, or the last probe fell short): the
  // highest quality tried is the closest to the target.
  return { best: fail as Probe<T>, reached: false, probes, stop };
}

/** The next quality to try, or undefined when no untried quality can improve the answer. */
function nextQuality<T>(
  target: QualityTarget,
  pass: Probe<T> | undefined,
  fail: Probe<T> | undefined,
): number | undefined {
  if (pass !== undefined && fail !== undefined) {
    if (pass.quality - fail.quality <= 1) return undefined;
    // Linear interpolation of the crossing, rounded up (the score must reach the target).
    const t = (target.score - fail.score) / (pass.score - fail.score);
    const q = Math.ceil(fail.quality + t * (pass.quality - fail.quality));
    return Math.min(pass.quality - 1, Math.max(fail.quality + 1, q));
  }
  if (pass !== undefined) {
    if (pass.quality <= target.minQuality) return undefined;
    // Aim just above the target so the step down is likely to pass too.
    const step = Math.max(1, Math.floor((pass.score - target.score) / target.slope));
    return Math.max(target.minQuality, pass.quality - step);
  }
  if (fail !== undefined) {
    if (fail.quality >= target.maxQuality) return undefined;
    const step = Math.max(1, Math.ceil((target.score - fail.score) / target.slope) + 1);
    return Math.min(target.maxQuality, fail.quality + step);
  }
  return target.startQuality;
}
