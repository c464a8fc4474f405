import type { ImageFormat } from '@zocket/contracts';
import { type QualityTarget, searchQuality } from './quality-search.js';
import type { VariantScorer } from './variant-scorer.js';

/** One format's encoder settings in a profile. */
export interface EncoderSettings {
  /** The quality used when there is no target (and the fallback when an image cannot be scored). */
  quality: number;
  effort: number;
  /** AVIF only (WebP is always 4:2:0). */
  chromaSubsampling?: '4:2:0' | '4:4:4';
  /** AVIF only: 8 (the default) or 10 bits per sample. */
  bitdepth?: 8 | 10;
  /** WebP only: sharp's "sharp YUV" RGB to YUV conversion, which keeps colour edges crisper. */
  smartSubsample?: boolean;
  /** When set, the quality is searched per image to reach `target.score`. */
  target?: FormatTarget;
}

export interface FormatTarget extends QualityTarget {
  /** The search encodes the widest variant no wider than this, and reuses its quality for all. */
  searchMaxWidth: number;
}

export interface Encoded {
  data: Buffer;
  info: { width: number; height: number };
}

export interface EncodedVariant extends Encoded {
  quality: number;
  /** SSIMULACRA2 against the variant's own source pixels; only with a target, up to searchMaxWidth. */
  score?: number;
}

export interface VariantQualityDeps {
  encode(
    format: ImageFormat,
    width: number,
    settings: EncoderSettings,
    quality: number,
  ): Promise<Encoded>;
  scorer: VariantScorer;
}

interface Plan {
  quality: number;
  /** Whether the search reached the target on the reference width. */
  reached: boolean;
  /** The search's own encode of the reference width, used as that variant. */
  reuse?: { width: number; encoded: Encoded; score: number };
}

/** The widest variant not wider than `max` (the narrowest when all are wider). */
export function referenceWidth(widths: readonly number[], max: number): number | undefined {
  const fitting = widths.filter((w) => w <= max);
  return fitting.length > 0
    ? Math.max(...fitting)
    : widths.length > 0
      ? Math.min(...widths)
      : undefined;
}

/**
 * Encodes the variants of one image: each format at its fixed quality, or, with a target, at the
 * quality searched once on the reference width, raised for a narrower width that falls short of
 * the target at it. Scores are recorded where the search could measure them (up to
 * searchMaxWidth).
 */
export class VariantQualities {
  private readonly plans = new Map<ImageFormat, Promise<Plan>>();

  constructor(
    private readonly settings: Record<ImageFormat, EncoderSettings>,
    private readonly widths: readonly number[],
    private readonly deps: VariantQualityDeps,
  ) {}

  async variant(format: ImageFormat, width: number): Promise<EncodedVariant> {
    const settings = this.settings[format];
    const plan = await this.plan(format);
    if (plan.reuse?.width === width) {
      return { ...plan.reuse.encoded, quality: plan.quality, score: plan.reuse.score };
    }
    const encoded = await this.deps.encode(format, width, settings, plan.quality);
    const target = settings.target;
    if (target === undefined || width > target.searchMaxWidth)
      return { ...encoded, quality: plan.quality };
    const score = await this.deps.scorer.score(width, encoded.data);
    if (score === undefined) return { ...encoded, quality: plan.quality };
    if (score >= target.score || !plan.reached || plan.quality >= target.maxQuality) {
      return { ...encoded, quality: plan.quality, score };
    }
    // A narrower variant can score lower at the same quality (more detail per pixel): it gets a
    // search of its own, upward from the reference's quality, so every scored variant reaches the
    // target when the reference did.
    const step = Math.max(1, Math.ceil((target.score - score) / target.slope));
    const raised = await searchQuality(
      { ...target, minQuality: plan.quality + 1, startQuality: plan.quality + step },
      { measure: (quality) => this.measure(format, width, quality) },
    );
    return { ...raised.best.output, quality: raised.best.quality, score: raised.best.score };
  }

  private plan(format: ImageFormat): Promise<Plan> {
    let plan = this.plans.get(format);
    if (plan === undefined) {
      plan = this.search(format);
      this.plans.set(format, plan);
    }
    return plan;
  }

  private async search(format: ImageFormat): Promise<Plan> {
    const settings = this.settings[format];
    const target = settings.target;
    const width = target && referenceWidth(this.widths, target.searchMaxWidth);
    // Without a target, or too small to score (under 8 px on a side): the fixed quality.
    if (target === undefined || width === undefined || !(await this.deps.scorer.scorable(width))) {
      return { quality: settings.quality, reached: false };
    }
    const result = await searchQuality(target, {
      measure: (quality) => this.measure(format, width, quality),
    });
    return {
      quality: result.best.quality,
      reached: result.reached,
      reuse: { width, encoded: result.best.output, score: result.best.score },
    };
  }

  /** One probe: an encode of a scorable width at `quality`, and its score. */
  private async measure(
    format: ImageFormat,
    width: number,
    quality: number,
  ): Promise<{ score: number; output: Encoded }> {
    const encoded = await this.deps.encode(format, width, this.settings[format], quality);
    const score = (await this.deps.scorer.score(width, encoded.data)) as number;
    return { score, output: encoded };
  }
}
