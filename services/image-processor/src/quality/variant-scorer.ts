import { MetricInputError, type RgbImage, Ssimulacra2Reference } from './ssimulacra2.js';

/**
 * Scores encoded variants of one image against the pixels they were encoded from. Holds the
 * prepared reference of one width at a time (variants are made width by width), so memory stays
 * at a few float planes of the widest scored variant.
 */
export class VariantScorer {
  private cached:
    | { width: number; reference: Promise<Ssimulacra2Reference | undefined> }
    | undefined;

  constructor(
    /** The exact pixels a variant of this width is encoded from. */
    private readonly pixels: (width: number) => Promise<RgbImage>,
    /** Decodes an encoded variant to 8-bit RGB. */
    private readonly decode: (data: Buffer) => Promise<RgbImage>,
  ) {}

  /** SSIMULACRA2 of `data` (a variant `width` px wide), or undefined when too small to score. */
  async score(width: number, data: Buffer): Promise<number | undefined> {
    const reference = await this.reference(width);
    if (reference === undefined) return undefined;
    return reference.score(await this.decode(data));
  }

  /** Whether variants of this width can be scored (both sides at least 8 px). */
  async scorable(width: number): Promise<boolean> {
    return (await this.reference(width)) !== undefined;
  }

  private reference(width: number): Promise<Ssimulacra2Reference | undefined> {
    if (this.cached?.width !== width) {
      this.cached = { width, reference: this.prepare(width) };
    }
    return this.cached.reference;
  }

  private async prepare(width: number): Promise<Ssimulacra2Reference | undefined> {
    try {
      return new Ssimulacra2Reference(await this.pixels(width));
    } catch (error) {
      // A variant under 8 px on a side has no score; it still gets made.
      if (error instanceof MetricInputError) return undefined;
      throw error;
    }
  }
}
