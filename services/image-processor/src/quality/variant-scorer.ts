import { inProcessScoring, type ScoreSession, type Scoring } from './score-pool.js';
import type { RgbImage } from './ssimulacra2.js';

/**
 * Scores encoded variants of one image against the pixels they were encoded from. Holds the
 * prepared reference of one width at a time (variants are made width by width), so memory stays
 * at a few float planes of the widest scored variant; `close` frees it.
 */
export class VariantScorer {
  private cached: { width: number; session: Promise<ScoreSession | undefined> } | undefined;

  constructor(
    /** The exact pixels a variant of this width is encoded from. */
    private readonly pixels: (width: number) => Promise<RgbImage>,
    /** Decodes an encoded variant to 8-bit RGB. */
    private readonly decode: (data: Buffer) => Promise<RgbImage>,
    private readonly scoring: Scoring = inProcessScoring,
  ) {}

  /** SSIMULACRA2 of `data` (a variant `width` px wide), or undefined when too small to score. */
  async score(width: number, data: Buffer): Promise<number | undefined> {
    const session = await this.session(width);
    if (session === undefined) return undefined;
    return session.score(await this.decode(data));
  }

  /** Whether variants of this width can be scored (both sides at least 8 px). */
  async scorable(width: number): Promise<boolean> {
    return (await this.session(width)) !== undefined;
  }

  /** Frees the prepared reference. */
  async close(): Promise<void> {
    const cached = this.cached;
    this.cached = undefined;
    (await cached?.session.catch(() => undefined))?.release();
  }

  private session(width: number): Promise<ScoreSession | undefined> {
    if (this.cached?.width !== width) {
      void this.close();
      this.cached = {
        width,
        session: this.pixels(width).then((image) => this.scoring.prepare(image)),
      };
    }
    return this.cached.session;
  }
}
