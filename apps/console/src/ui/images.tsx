import type { ImageVariant, ProductImage } from '@zocket/contracts';
import { useMemo, useState } from 'react';
import { thumbHashToDataURL } from 'thumbhash';

/** The processor stores a thumbhash (base64); rendered here to a tiny data: PNG. */
export function placeholderUrl(placeholder: string | null | undefined): string | undefined {
  if (placeholder === null || placeholder === undefined || placeholder === '') return undefined;
  try {
    const bytes = Uint8Array.from(atob(placeholder), (c) => c.charCodeAt(0));
    return thumbHashToDataURL(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An image that shows its blurred placeholder until the real one has loaded, then fades in.
 * A broken image says so in words instead of the browser's broken-image icon.
 */
export function BlurImage(props: {
  src: string | undefined;
  placeholder: string | null | undefined;
  alt: string;
  width?: number | null;
  height?: number | null;
  className?: string;
  testId?: string;
}) {
  const [state, setState] = useState<'loading' | 'loaded' | 'broken'>('loading');
  const blur = useMemo(() => placeholderUrl(props.placeholder), [props.placeholder]);
  const ratio =
    props.width !== null &&
    props.width !== undefined &&
    props.height !== null &&
    props.height !== undefined
      ? `${props.width} / ${props.height}`
      : undefined;
  return (
    <div
      className={`blur-image is-${state} ${props.className ?? ''}`}
      style={{
        aspectRatio: ratio,
        backgroundImage: blur === undefined || state === 'loaded' ? undefined : `url("${blur}")`,
      }}
    >
      {props.src === undefined ? null : (
        <img
          src={props.src}
          alt={props.alt}
          loading="lazy"
          decoding="async"
          data-testid={props.testId}
          onLoad={() => setState('loaded')}
          onError={() => setState('broken')}
        />
      )}
      {state === 'broken' ? <span className="broken-note">image unavailable</span> : null}
    </div>
  );
}

/** The narrowest variant, preferring WebP (cheap to decode): for list thumbnails. */
export function smallestVariant(variants: readonly ImageVariant[]): ImageVariant | undefined {
  let best: ImageVariant | undefined;
  for (const v of variants) {
    if (
      best === undefined ||
      v.width < best.width ||
      (v.width === best.width && v.format === 'webp')
    ) {
      best = v;
    }
  }
  return best;
}

export function Thumb(props: { image: ProductImage | undefined; alt: string }) {
  const { image } = props;
  if (image === undefined) return <div className="thumb thumb-empty" aria-hidden="true" />;
  return (
    <BlurImage
      className="thumb"
      src={smallestVariant(image.variants)?.url}
      placeholder={image.placeholder}
      alt={props.alt}
      width={image.width}
      height={image.height}
    />
  );
}
