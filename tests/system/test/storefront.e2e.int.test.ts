import { join } from 'node:path';
import {
  createZocketClient,
  type ImageVariant,
  type Product,
  uploadImagesMultipart,
  type ZocketClient,
} from '@zocket/client';
import { topicNames } from '@zocket/contracts';
import {
  createTestTopics,
  servicesToEnv,
  type TestDatabase,
  type TestTopics,
  testKeyPrefix,
  testServices,
  uniqueName,
} from '@zocket/testkit';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir, findChromium, launchChromium } from '../src/browser.js';
import { whenReady } from '../src/client-example.js';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

/*
 * The storefront (served by the API at /shop) in Debian's Chromium at a phone's width, against
 * the real API and image processor as processes on the shared services: every card must download
 * an AVIF variant near its displayed size, and no picture may move the layout when it arrives.
 */

const chromiumFound = findChromium();
if ('missing' in chromiumFound) console.warn(`[storefront e2e] skipped: ${chromiumFound.missing}`);

/** A photo-like JPEG: smooth gradients compress the way real pictures do. */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      pixels[i] = 128 + 127 * Math.sin((x + seed * 40) / 97);
      pixels[i + 1] = 128 + 127 * Math.sin((y + seed * 25) / 61);
      pixels[i + 2] = 128 + 127 * Math.sin((x + y) / 143 + seed);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** Layout shifts recorded from the first paint, with what moved (page-side, as text). */
const RECORD_SHIFTS = `
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      window.__shifts.push({
        value: entry.value,
        sources: (entry.sources || []).map((s) => s.node ? (s.node.nodeName + '.' + (s.node.className || '')) : '?'),
      });
    }
  }).observe({ type: 'layout-shift', buffered: true });
`;

interface CardImage {
  currentSrc: string;
  cssWidth: number;
  complete: boolean;
}

const PRODUCTS = 6;

describe.skipIf('missing' in chromiumFound)('the storefront in a real browser', () => {
  const services = testServices();
  let database: TestDatabase;
  let topics: TestTopics;
  let api: ServiceProcess;
  let processor: ServiceProcess;
  let apiUrl: string;
  let browser: Browser;
  let page: Page;
  let seller: ZocketClient;
  const products: Product[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createMigratedDatabase(services);
    const topicPrefix = `${uniqueName('shop')}.`;
    topics = await createTestTopics(
      services,
      Object.values(topicNames(topicPrefix)).map((name) => ({ name, partitions: 2 })),
      { uniqueNames: false },
    );
    const common = {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('shop'),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'info',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startService('shop-api', 'services/api/dist/main.js', {
      ...common,
      PORT: String(apiPort),
      OUTBOX_POLL_INTERVAL_MS: '250',
    });
    const metricsPort = await freePort();
    processor = startService('shop-processor', 'services/image-processor/dist/main.js', {
      ...common,
      METRICS_PORT: String(metricsPort),
      KAFKA_GROUP_ID: uniqueName('shop-processors'),
      PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
      VARIANT_PROFILE_VERSION: uniqueName('shop').toLowerCase().replace(/_/g, '-').slice(0, 32),
      PROCESSOR_CONCURRENCY: '2',
    });
    await waitHealthy(`${apiUrl}/readyz`, api);
    await waitHealthy(`http://127.0.0.1:${metricsPort}/readyz`, processor);

    const minted = await fetch(`${apiUrl}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: uniqueName('shop-seller') }),
    });
    const { token } = (await minted.json()) as { token: string };
    seller = createZocketClient({ url: apiUrl, token });
    for (let i = 0; i < PRODUCTS; i += 1) {
      const product = await seller.products.create.mutate({
        name: `${i % 2 === 0 ? 'Lamp' : 'Chair'} ${i + 1}`,
        price: { amountMinor: 1000 + i * 500, currency: 'EUR' },
      });
      const file = new File([new Uint8Array(await photo(1600, 1200, i))], `p${i}.jpg`, {
        type: 'image/jpeg',
      });
      await uploadImagesMultipart(seller, product.id, [file]);
      products.push(product);
    }
    await Promise.all(products.map((p) => whenReady(seller, p.id, 1)));

    browser = await launchChromium((chromiumFound as { path: string }).path);
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 1,
    });
    await context.addInitScript(RECORD_SHIFTS);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    page.setDefaultTimeout(20_000);
  });

  afterAll(async () => {
    await browser?.close();
    await processor?.stop();
    await api?.stop();
    await topics?.delete();
    await database?.drop();
  });

  it('shows every product on the grid, each card an AVIF no wider than twice its CSS width, and nothing shifts', async () => {
    const variants = new Map<string, ImageVariant>();
    for (const p of products) {
      const fresh = await seller.products.byId.query({ id: p.id });
      for (const v of fresh.images[0]?.variants ?? []) variants.set(v.url, v);
    }
    await page.goto(`${apiUrl}/shop/`);
    const cards = page.getByTestId('product-card');
    await expect.poll(() => cards.count()).toBe(PRODUCTS);
    const images = page.getByTestId('card-image');
    expect(await images.count()).toBe(PRODUCTS);
    for (let i = 0; i < PRODUCTS; i += 1) {
      const image = images.nth(i);
      await image.scrollIntoViewIfNeeded();
      await expect
        .poll(() => image.evaluate((e) => (e as unknown as CardImage).complete))
        .toBe(true);
      const { currentSrc, cssWidth } = await image.evaluate((e) => {
        const img = e as unknown as CardImage & { getBoundingClientRect(): { width: number } };
        return { currentSrc: img.currentSrc, cssWidth: img.getBoundingClientRect().width };
      });
      const variant = variants.get(currentSrc);
      expect(variant, `card ${i} shows ${currentSrc}, not a variant`).toBeDefined();
      expect(variant?.format, `card ${i}`).toBe('avif');
      expect(cssWidth).toBeGreaterThan(100);
      expect(variant?.width, `card ${i}: ${cssWidth} CSS px wide`).toBeLessThanOrEqual(
        2 * cssWidth,
      );
    }
    await page.waitForTimeout(300);
    const shifts = await page.evaluate<{ value: number; sources: string[] }[]>('window.__shifts');
    expect(shifts).toEqual([]);
    await page.screenshot({ path: join(artifactDir(), 'storefront-grid-390.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('filters by name from the form, keeping the filter in the URL', async () => {
    await page.goto(`${apiUrl}/shop/`);
    await page.getByLabel('Name').fill('Chair');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('product-card').count()).toBe(PRODUCTS / 2);
    expect(page.url()).toBe(`${apiUrl}/shop/?name=Chair`);
    expect(await page.getByTestId('product-card').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Chair \d/)]),
    );
  });

  it('shows a product page whose new picture turns ready without a reload', async () => {
    const product = products[0] as Product;
    await page.goto(`${apiUrl}/shop/p/${product.id}`);
    await page.getByRole('heading', { name: product.name }).waitFor();
    await expect
      .poll(() => page.getByTestId('live-status').textContent())
      .toBe('Picture status is live');
    const file = new File([new Uint8Array(await photo(1200, 900, 42))], 'new.jpg', {
      type: 'image/jpeg',
    });
    await uploadImagesMultipart(seller, product.id, [file]);
    const statuses = page.getByTestId('image-status');
    await expect.poll(() => statuses.count()).toBe(2);
    await expect
      .poll(() => statuses.nth(1).getAttribute('data-status'), { timeout: 120_000 })
      .toBe('ready');
    const main = page.getByTestId('product-image');
    await expect
      .poll(() => main.evaluate((e) => (e as unknown as CardImage).currentSrc))
      .toMatch(/\.avif$|avif/);
    expect(pageErrors).toEqual([]);
  });
});
