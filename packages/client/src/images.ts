import type { ImageVariant, ProductImage } from '@zocket/contracts';
import { thumbHashToDataURL } from 'thumbhash';

/** The fields of an image the sources are made from (a `ProductImage`, or part of one). */
export type PictureImage = Pick<ProductImage, 'width' | 'height' | 'placeholder' | 'variants'>;

/** An aspect ratio as `width / height` (`1`, `4 / 3`) or as text (`"1:1"`, `"4:3"`, `"16/9"`). */
export type Aspect = number | `${number}:${number}` | `${number}/${number}`;

export interface ImageSourcesOptions {
  /** The `sizes` attribute: how wide the image is shown (`"(min-width: 40rem) 33vw, 50vw"`). */
  sizes?: string;
  /**
   * The shape the image is shown in. Crop variants of that aspect are used when the image has
   * them; otherwise the full-frame variants are, and `cropped` is false: show them with
   * `object-fit: cover` in a box of `width` x `height`.
   */
  aspect?: Aspect;
}

export interface ImageSources {
  /** `srcset` of the AVIF variants (`url 320w, …`); empty when there are none. */
  avifSrcSet: string;
  /** `srcset` of the WebP variants. */
  webpSrcSet: string;
  /** For `<img src>`: a mid-size WebP (any browser without `<picture>` support decodes WebP). */
  src: string | undefined;
  sizes: string;
  /** Intrinsic size for the `width`/`height` attributes: the browser reserves the box from them. */
  width: number | undefined;
  height: number | undefined;
  /** True when the variants are crops of the requested aspect (no CSS cover needed). */
  cropped: boolean;
  /** The thumbhash rendered as a tiny `data:` PNG, to show until the image has loaded. */
  placeholder: string | undefined;
}

/** Widths a browser may pick up to, for the fallback `src`. */
const FALLBACK_WIDTH = 800;
/** Aspect ratios closer than this are the same shape (rounding of pixel sizes). */
const ASPECT_TOLERANCE = 0.01;

/** `1`, `"1:1"`, `"4/3"` -> width / height; undefined for anything not a positive ratio. */
export function parseAspect(aspect: Aspect | undefined): number | undefined {
  if (aspect === undefined) return undefined;
  if (typeof aspect === 'number') return aspect > 0 && Number.isFinite(aspect) ? aspect : undefined;
  const [w, h] = aspect.split(/[:/]/).map(Number);
  if (w === undefined || h === undefined || !(w > 0) || !(h > 0)) return undefined;
  return w / h;
}

/**
 * A crop variant carries a `crop` description; full-frame variants have none. Read structurally,
 * so images recorded before crops existed, and clients older than a crop field, both work.
 */
function isCrop(variant: ImageVariant): boolean {
  const crop = (variant as { crop?: unknown }).crop;
  return crop !== undefined && crop !== null && crop !== false;
}

function sameAspect(variant: ImageVariant, aspect: number): boolean {
  return Math.abs(variant.width / variant.height / aspect - 1) <= ASPECT_TOLERANCE;
}

function srcSet(variants: readonly ImageVariant[]): string {
  return variants.map((v) => `${v.url} ${v.width}w`).join(', ');
}

/** The thumbhash (base64) rendered to a data: URL; undefined when absent or unreadable. */
export function placeholderDataUrl(placeholder: string | null | undefined): string | undefined {
  if (placeholder === null || placeholder === undefined || placeholder === '') return undefined;
  try {
    const bytes = Uint8Array.from(atob(placeholder), (c) => c.charCodeAt(0));
    return thumbHashToDataURL(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Everything a `<picture>` needs to let the browser download the right bytes: an AVIF and a
 * WebP `srcset` (one width each, the browser picks by `sizes` and its pixel density), a fallback
 * `src`, the intrinsic size that reserves the box (no layout shift) and the placeholder.
 */
export function imageSources(image: PictureImage, options: ImageSourcesOptions = {}): ImageSources {
  const aspect = parseAspect(options.aspect);
  const crops =
    aspect === undefined ? [] : image.variants.filter((v) => isCrop(v) && sameAspect(v, aspect));
  const cropped = crops.length > 0;
  const chosen = cropped ? crops : image.variants.filter((v) => !isCrop(v));
  // One entry per width and format: the srcset lists each width once.
  const byFormat = (format: ImageVariant['format']) => {
    const seen = new Set<number>();
    return chosen
      .filter((v) => v.format === format)
      .sort((a, b) => a.width - b.width)
      .filter((v) => !seen.has(v.width) && seen.add(v.width));
  };
  const avif = byFormat('avif');
  const webp = byFormat('webp');
  const fallbackPool = webp.length > 0 ? webp : avif;
  const fallback = fallbackPool.filter((v) => v.width <= FALLBACK_WIDTH).at(-1) ?? fallbackPool[0];
  const widest = [...avif, ...webp].sort((a, b) => b.width - a.width)[0];
  let width = widest?.width ?? image.width ?? undefined;
  let height = widest?.height ?? image.height ?? undefined;
  if (!cropped && aspect !== undefined && width !== undefined) {
    // The box the caller asked for; the full frame is covered into it.
    height = Math.round(width / aspect);
  }
  if (width === undefined || height === undefined) {
    width = undefined;
    height = undefined;
  }
  return {
    avifSrcSet: srcSet(avif),
    webpSrcSet: srcSet(webp),
    src: fallback?.url,
    sizes: options.sizes ?? '100vw',
    width,
    height,
    cropped,
    placeholder: placeholderDataUrl(image.placeholder),
  };
}
