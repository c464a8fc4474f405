import { findRendition, type Rendition, recordRendition } from '@zocket/db';
import type { ProcessorContext } from '../context.js';
import type { RenderedImage } from './rendered-image.js';

export type { RenderedImage } from './rendered-image.js';

export function fromRendition(rendition: Rendition, publicBaseUrl: string): RenderedImage {
  return {
    variants: rendition.variants.map((v) => ({ ...v, url: `${publicBaseUrl}/${v.key}` })),
    placeholder: rendition.placeholder,
    width: rendition.width,
    height: rendition.height,
    bytes: rendition.bytes,
    contentHash: rendition.contentHash,
  };
}

/** The stored rendition of these bytes under the current profile, counted as a hit. */
export async function lookupRendition(
  ctx: ProcessorContext,
  contentHash: string,
): Promise<RenderedImage | undefined> {
  const found = await findRendition(ctx.db, contentHash, ctx.profile.version);
  if (found === undefined) return undefined;
  ctx.metrics.renditions.inc({ result: 'hit' });
  return fromRendition(found, ctx.config.s3.publicBaseUrl);
}

/**
 * Renders once per (hash, profile) in this process: concurrent jobs for the same bytes wait for
 * the first render (singleflight). `render` must store every object before it resolves; only
 * then is the rendition recorded, and the row that won (another process may have rendered the
 * same bytes at the same time) is what every image gets.
 */
export function renderOnce(
  ctx: ProcessorContext,
  contentHash: string,
  render: () => Promise<RenderedImage>,
): Promise<RenderedImage> {
  const key = `${contentHash}:${ctx.profile.version}`;
  const pending = ctx.renderings.get(key);
  if (pending !== undefined) {
    ctx.metrics.renditions.inc({ result: 'shared' });
    return pending;
  }
  const run = (async () => {
    const rendered = await render();
    ctx.metrics.renditions.inc({ result: 'miss' });
    const stored = await recordRendition(ctx.db, {
      contentHash,
      profileVersion: ctx.profile.version,
      variants: rendered.variants.map(({ url: _url, ...v }) => v),
      placeholder: rendered.placeholder,
      width: rendered.width,
      height: rendered.height,
      bytes: rendered.bytes,
    });
    return fromRendition(stored, ctx.config.s3.publicBaseUrl);
  })().finally(() => ctx.renderings.delete(key));
  ctx.renderings.set(key, run);
  return run;
}
