import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ProductPicture } from '../src/react/index.js';
import { readyImage } from './fixtures.js';

const render = (props: Partial<Parameters<typeof ProductPicture>[0]> = {}) =>
  renderToStaticMarkup(
    createElement(ProductPicture, { image: readyImage(), sizes: '50vw', alt: 'A mug', ...props }),
  );

describe('<ProductPicture>', () => {
  it('renders a picture with AVIF then WebP sources and a sized, lazy img on the placeholder', () => {
    const html = render();
    expect(html).toMatch(
      /^<picture><source type="image\/avif" srcSet="[^"]+1280w" sizes="50vw"\/><source type="image\/webp" srcSet="[^"]+1280w" sizes="50vw"\/><img /,
    );
    expect(html).toContain('width="1280" height="960"');
    expect(html).toContain('loading="lazy"');
    expect(html).not.toContain('fetchPriority');
    expect(html).toContain('alt="A mug"');
    expect(html).toContain('background-image:url(&quot;data:image/png;base64,');
  });

  it('fetches a priority picture at once, at high priority', () => {
    const html = render({ priority: true });
    expect(html).toContain('loading="eager"');
    expect(html).toContain('fetchPriority="high"');
  });

  it('covers the full frame into the requested aspect when there is no crop of it', () => {
    const html = render({ aspect: '1:1' });
    expect(html).toContain('width="1280" height="1280"');
    expect(html).toContain('object-fit:cover');
  });

  it('keeps the box with the placeholder while the image has no variants', () => {
    const html = render({ image: { ...readyImage([]) } });
    expect(html).not.toContain('<picture');
    expect(html).toContain('role="img"');
    expect(html).toContain('aspect-ratio:2048 / 1536');
  });
});
