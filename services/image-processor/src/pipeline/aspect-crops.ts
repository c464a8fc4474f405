import sharp, { type Sharp } from 'sharp';

/** An aspect variant a profile declares, e.g. 1:1 at 320 and 640 px for product grids. */
export interface AspectCrop {
  /** Width and height of the aspect ratio, e.g. [1, 1] or [4, 5]. */
  aspect: readonly [number, number];
  widths: readonly number[];
}

/** Where a seller wants crops centred, as fractions of the upright image (0..1 on each axis). */
export interface FocalPoint {
  x: number;
  y: number;
}

export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The crop's name in keys and variant metadata, e.g. `1x1`. */
export function cropName(crop: Pick<AspectCrop, 'aspect'>): string {
  return `${crop.aspect[0]}x${crop.aspect[1]}`;
}

/**
 * The part of a crop key that names the focal point (`f0.250-0.400`), or `attention` when libvips
 * picks the region: a focal point changes only the crop variants' keys.
 */
export function focalName(focal: FocalPoint | undefined): string {
  return focal === undefined ? 'attention' : `f${focal.x.toFixed(3)}-${focal.y.toFixed(3)}`;
}

/**
 * The largest box of the crop's aspect inside a `width` x `height` image, placed so the focal
 * point lands as near its centre as the image's edges allow.
 */
export function focalCropBox(
  width: number,
  height: number,
  aspect: readonly [number, number],
  focal: FocalPoint,
): CropBox {
  const ratio = aspect[0] / aspect[1];
  const boxWidth = Math.max(1, Math.min(width, Math.round(height * ratio)));
  const boxHeight = Math.max(1, Math.min(height, Math.round(boxWidth / ratio)));
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v)));
  return {
    left: clamp(focal.x * width - boxWidth / 2, width - boxWidth),
    top: clamp(focal.y * height - boxHeight / 2, height - boxHeight),
    width: boxWidth,
    height: boxHeight,
  };
}

/** The crop's widths for a source, never wider than the largest box of its aspect. */
export function cropWidths(crop: AspectCrop, width: number, height: number): number[] {
  const cap = Math.min(width, Math.round((height * crop.aspect[0]) / crop.aspect[1]));
  const widths = crop.widths.filter((w) => Number.isInteger(w) && w > 0 && w <= cap);
  return [...new Set(widths.length > 0 ? widths : [cap])].sort((a, b) => a - b);
}

/**
 * One crop variant of `image` (`width` x `height` upright pixels): around the focal point when
 * there is one, otherwise where libvips' attention strategy finds the subject.
 */
export function cropped(
  image: Sharp,
  size: { width: number; height: number },
  crop: AspectCrop,
  outWidth: number,
  focal: FocalPoint | undefined,
): Sharp {
  const outHeight = Math.max(1, Math.round((outWidth * crop.aspect[1]) / crop.aspect[0]));
  if (focal === undefined) {
    return image.resize({
      width: outWidth,
      height: outHeight,
      fit: 'cover',
      position: sharp.strategy.attention,
    });
  }
  return image
    .extract(focalCropBox(size.width, size.height, crop.aspect, focal))
    .resize({ width: outWidth, height: outHeight, fit: 'fill' });
}
