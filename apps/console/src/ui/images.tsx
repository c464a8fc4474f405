import { type ProductImage, placeholderDataUrl } from '@zocket/client';
import { ProductPicture } from '@zocket/client/react';
import { useMemo, useState } from 'react';

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
  const blur = useMemo(() => placeholderDataUrl(props.placeholder), [props.placeholder]);
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

/** A list thumbnail: the browser picks the variant for a 64 px wide box at its pixel density. */
export function Thumb(props: { image: ProductImage | undefined; alt: string }) {
  const { image } = props;
  if (image === undefined) return <div className="thumb thumb-empty" aria-hidden="true" />;
  return (
    <div className="thumb">
      <ProductPicture image={image} sizes="64px" aspect="4:3" alt={props.alt} />
    </div>
  );
}
