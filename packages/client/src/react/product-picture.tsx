import { type CSSProperties, useMemo, useState } from 'react';
import { type Aspect, imageSources, type PictureImage } from '../images.js';

export interface ProductPictureProps {
  image: PictureImage;
  /** The `sizes` attribute: how wide the picture is shown at each viewport width. */
  sizes: string;
  alt: string;
  /** The shape to show it in; crop variants of that aspect are used when the image has them. */
  aspect?: Aspect;
  /** For the picture most likely to be the largest paint: fetched at once, at high priority. */
  priority?: boolean;
  className?: string;
  style?: CSSProperties;
  /** Set on the `<img>` (tests and analytics find it by this). */
  'data-testid'?: string;
}

/**
 * A `<picture>` that lets the browser download the right bytes: AVIF and WebP sources with a
 * width each, `width`/`height` on the `<img>` so its box is reserved before any byte arrives, and
 * the thumbhash painted as its background until the image has loaded. Lazy unless `priority`.
 */
export function ProductPicture(props: ProductPictureProps) {
  const { image, sizes, aspect } = props;
  const sources = useMemo(() => imageSources(image, { sizes, aspect }), [image, sizes, aspect]);
  const [loaded, setLoaded] = useState(false);
  const style: CSSProperties = {
    ...(sources.placeholder === undefined || loaded
      ? {}
      : {
          backgroundImage: `url("${sources.placeholder}")`,
          backgroundSize: '100% 100%',
        }),
    ...(sources.cropped || aspect === undefined ? {} : { objectFit: 'cover' }),
    ...props.style,
  };
  const priority = props.priority === true;
  if (sources.src === undefined) {
    // Nothing rendered yet (pending, processing or failed): the placeholder in the same box.
    return (
      <span
        role="img"
        aria-label={props.alt}
        className={props.className}
        data-testid={props['data-testid']}
        style={{
          display: 'block',
          aspectRatio:
            sources.width === undefined || sources.height === undefined
              ? undefined
              : `${sources.width} / ${sources.height}`,
          ...style,
        }}
      />
    );
  }
  return (
    <picture>
      {sources.avifSrcSet === '' ? null : (
        <source type="image/avif" srcSet={sources.avifSrcSet} sizes={sources.sizes} />
      )}
      {sources.webpSrcSet === '' ? null : (
        <source type="image/webp" srcSet={sources.webpSrcSet} sizes={sources.sizes} />
      )}
      <img
        src={sources.src}
        alt={props.alt}
        width={sources.width}
        height={sources.height}
        sizes={sources.sizes}
        loading={priority ? 'eager' : 'lazy'}
        fetchPriority={priority ? 'high' : undefined}
        decoding={priority ? 'sync' : 'async'}
        className={props.className}
        style={style}
        data-testid={props['data-testid']}
        onLoad={() => setLoaded(true)}
      />
    </picture>
  );
}
