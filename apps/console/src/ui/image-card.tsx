import type { ImageVariant, ProductImage } from '@zocket/contracts';
import { useOriginalUrl } from '../hooks/use-original-url';
import { formatBytes, savingPercent } from './format';
import { BlurImage } from './images';
import { StatusBadge } from './states';

function byWidthThenFormat(a: ImageVariant, b: ImageVariant) {
  return b.width - a.width || a.format.localeCompare(b.format);
}

function Original(props: { productId: string; image: ProductImage }) {
  const { image } = props;
  const original = useOriginalUrl(props.productId, image);
  return (
    <figure className="original">
      {original.kind === 'url' ? (
        <BlurImage
          src={original.url}
          placeholder={image.placeholder}
          alt={`original ${image.position + 1}`}
          width={image.width}
          height={image.height}
          testId="original-image"
        />
      ) : (
        <div className="blur-image note">
          {original.kind === 'loading'
            ? 'loading the original…'
            : original.kind === 'private'
              ? 'the uploaded original is visible to its owner only'
              : `original unavailable: ${original.message}`}
        </div>
      )}
      <figcaption>
        <strong>Original</strong>
        {image.width === null ? null : (
          <span>
            {image.width}×{image.height}
          </span>
        )}
        <span data-testid="original-bytes">{formatBytes(image.bytes)}</span>
        <span className="muted">{image.source.kind === 'url' ? 'from URL' : 'uploaded'}</span>
      </figcaption>
    </figure>
  );
}

/** An image: status, its original, and every variant with its size against the original. */
export function ImageCard(props: { productId: string; image: ProductImage }) {
  const { image } = props;
  const variants = [...image.variants].sort(byWidthThenFormat);
  return (
    <section
      className={`image-card status-${image.status}`}
      aria-label={`Image ${image.position + 1}`}
      data-testid="image-card"
      data-status={image.status}
      data-attempts={image.attempts}
    >
      <header>
        <h3>Image {image.position + 1}</h3>
        <StatusBadge status={image.status} />
        {image.attempts > 1 ? <span className="muted">attempt {image.attempts}</span> : null}
      </header>
      {image.status === 'failed' ? (
        <p className="state state-error" role="alert">
          {image.failureReason ?? 'processing failed'}
        </p>
      ) : null}
      <div className="compare">
        <Original productId={props.productId} image={image} />
        {variants.length === 0 ? (
          <p className="muted variants-empty">
            {image.status === 'ready' || image.status === 'failed'
              ? 'No variants.'
              : 'Variants appear here when processing is done.'}
          </p>
        ) : (
          <div className="variants">
            {variants.map((v) => {
              const saving = savingPercent(image.bytes, v.bytes);
              return (
                <figure key={v.key} className="variant" data-testid="variant">
                  <BlurImage
                    src={v.url}
                    placeholder={image.placeholder}
                    alt={`${v.format} ${v.width} wide`}
                    width={v.width}
                    height={v.height}
                    testId="variant-image"
                  />
                  <figcaption>
                    <strong>{v.format.toUpperCase()}</strong>
                    <span>
                      {v.width}×{v.height}
                    </span>
                    <span data-testid="variant-bytes">
                      {formatBytes(image.bytes)} → {formatBytes(v.bytes)}
                    </span>
                    {saving === null ? null : (
                      <span className={saving >= 0 ? 'saving' : 'growth'}>
                        {saving >= 0 ? `−${saving} %` : `+${-saving} %`}
                      </span>
                    )}
                    <a href={v.url} target="_blank" rel="noreferrer">
                      open
                    </a>
                  </figcaption>
                </figure>
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
}
