import type { ImageVariant } from '@zocket/contracts';

/** What a job records on its image: the variants with URLs, and the source's facts. */
export interface RenderedImage {
  variants: ImageVariant[];
  placeholder: string;
  width: number;
  height: number;
  bytes: number;
  contentHash: string;
}
