import { join } from 'node:path';
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
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir, expectImagesRendered, findChromium, launchChromium } from '../src/browser.js';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

/*
 * The console in a real browser (Debian's Chromium driven by playwright-core) against the real
 * API and image processor, as processes, on the shared PostgreSQL, Redis, Kafka and S3. The
 * browser PUTs uploads straight to S3 from the API's origin (a random loopback port), which
 * infra/local/up's S3Proxy allows (CORS for any loopback origin).
 */

const chromiumFound = findChromium();
if ('missing' in chromiumFound) console.warn(`[console e2e] skipped: ${chromiumFound.missing}`);

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
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** The object store's answer to a browser's preflight for a presigned PUT from `origin`. */
async function s3AllowsPutFrom(s3Endpoint: string, bucket: string, origin: string) {
  const response = await fetch(`${s3Endpoint}/${bucket}/cors-preflight`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
  });
  await response.arrayBuffer();
  return response.headers.get('access-control-allow-origin') === origin;
}

/** Presses Tab until the focused element's label or text is `name` (at most 15 times). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 15; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>(
      `(() => { const e = document.activeElement; if (!e) return '';
        const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
        return (label || e.textContent || '').trim(); })()`,
    );
    if (focused === name || focused.startsWith(`${name}`)) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}

describe.skipIf('missing' in chromiumFound)('the console in a real browser', () => {
  const services = testServices();
  let database: TestDatabase;
  let topics: TestTopics;
  let api: ServiceProcess;
  let processor: ServiceProcess;
  let apiUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let productId: string;
  let sellerToken: string;
  const pageErrors: string[] = [];
  const shots = artifactDir();

  beforeAll(async () => {
    database = await createMigratedDatabase(services);
    const topicPrefix = `${uniqueName('console')}.`;
    topics = await createTestTopics(
      services,
      Object.values(topicNames(topicPrefix)).map((name) => ({ name, partitions: 2 })),
      { uniqueNames: false },
    );
    const common = {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('console'),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'info',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startService('console-api', 'services/api/dist/main.js', {
      ...common,
      PORT: String(apiPort),
      OUTBOX_POLL_INTERVAL_MS: '250',
      // The API lets loopback image URLs through, the processor does not: the failed-image test.
      FETCH_ALLOWLIST: '127.0.0.1',
    });
    const metricsPort = await freePort();
    processor = startService('console-processor', 'services/image-processor/dist/main.js', {
      ...common,
      METRICS_PORT: String(metricsPort),
      KAFKA_GROUP_ID: uniqueName('console-processors'),
      PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
      VARIANT_PROFILE_VERSION: uniqueName('con').toLowerCase().replace(/_/g, '-').slice(0, 32),
      PROCESSOR_CONCURRENCY: '2',
    });
    await waitHealthy(`${apiUrl}/readyz`, api);
    await waitHealthy(`http://127.0.0.1:${metricsPort}/readyz`, processor);
    browser = await launchChromium((chromiumFound as { path: string }).path);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The page's Content-Security-Policy must allow everything the console does.
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

  it('serves the console and signs a seller in without putting the token in the URL', async () => {
    await page.goto(`${apiUrl}/console/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Products' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText('The catalogue is empty').isVisible()).toBe(true);
    // Keyboard only: Tab to the sign-in link, Enter, type the subject, Enter submits.
    await tabTo(page, 'Sign in');
    await page.keyboard.press('Enter');
    await tabTo(page, 'Subject');
    await page.keyboard.type('console-seller');
    await page.keyboard.press('Enter');
    await page.getByText('console-seller').waitFor();
    // Page-side code is passed as text: this package compiles without the DOM types.
    sellerToken = await page.evaluate<string>(
      "sessionStorage.getItem('zocket.console.token') ?? ''",
    );
    expect(sellerToken.split('.')).toHaveLength(3);
    expect(page.url()).not.toContain(sellerToken.slice(0, 20));
    expect(page.url()).toBe(`${apiUrl}/console/`);
  });

  it('creates a product, its price typed in euros and shown as money', async () => {
    await page.getByRole('link', { name: 'New product' }).click();
    await page.getByLabel('Name').fill('Enamel mug');
    await page.getByLabel('Description').fill('Blue, 350 ml');
    await page.getByLabel('Price').fill('12.50');
    await page.getByText('Stored as 1,250 minor units').waitFor();
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: 'Enamel mug' }).waitFor();
    expect(await page.locator('.price.big').textContent()).toBe('€12.50');
    const match = /\/console\/products\/([0-9a-f-]{36})$/.exec(page.url());
    expect(match).not.toBeNull();
    productId = match?.[1] as string;
    await page.getByText('No images yet').waitFor();
  });

  it('shows uploaded images turn ready without a reload, each original next to its variants', async () => {
    // The page must not be reloaded: a marker on window would not survive a reload.
    await page.evaluate('window.marker = 42');
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(await photo(1600, 1000, 1))]), 'a.jpg');
    form.append('files', new Blob([new Uint8Array(await photo(900, 1200, 2))]), 'b.jpg');
    const uploaded = await fetch(`${apiUrl}/products/${productId}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sellerToken}` },
      body: form,
    });
    expect(uploaded.status).toBe(200);

    const cards = page.getByTestId('image-card');
    await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(2);
    await expect
      .poll(() => page.locator('[data-testid="image-card"][data-status="ready"]').count(), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(2);
    expect(await page.evaluate<number>('window.marker')).toBe(42);
    // Live through products.onChange (server-sent events), not by polling.
    expect(await page.getByTestId('live-mode').textContent()).toBe('live');

    // Every width (320, 640, 1280, source) in both formats, each with before -> after bytes.
    const variants = await page.getByTestId('variant').count();
    expect(variants).toBeGreaterThanOrEqual(12);
    const sizes = await page.getByTestId('variant-bytes').allTextContents();
    for (const text of sizes) expect(text).toMatch(/^[\d.]+ (B|KiB|MiB) → [\d.]+ (B|KiB|MiB)$/);
    expect(await page.getByTestId('totals').textContent()).toMatch(/% saved/);
    expect(await page.locator('.saving').count()).toBeGreaterThan(0);

    expect(await expectImagesRendered(page, '[data-testid="variant-image"]')).toBe(variants);
    // The uploaded originals come through the owner-only route as blob: URLs.
    expect(await expectImagesRendered(page, '[data-testid="original-image"]')).toBe(2);
    expect(await page.locator('.broken-note').count()).toBe(0);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots, 'console-product.png'), fullPage: true });
  });

  it('is readable at phone width: nothing overflows sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(shots, 'console-product-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('reprocesses the images and shows them ready again without a reload', async () => {
    const card = '[data-testid="image-card"][data-status="ready"]';
    expect(await page.locator(`${card}[data-attempts="1"]`).count()).toBe(2);
    await page.getByRole('button', { name: 'Reprocess images' }).click();
    // Ready again on a second attempt (the pending spell between can be too short to see).
    await expect
      .poll(() => page.locator(`${card}[data-attempts="2"]`).count(), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(2);
    expect(await page.evaluate<number>('window.marker')).toBe(42);
    await expectImagesRendered(page, '[data-testid="variant-image"]');
  });

  it('says when a save lost against a newer version, and saves nothing', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Name').waitFor();
    const current = (await (await fetch(`${apiUrl}/products/${productId}`)).json()) as {
      version: number;
    };
    const other = await fetch(`${apiUrl}/products/${productId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${sellerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expectedVersion: current.version, name: 'Enamel mug (large)' }),
    });
    expect(other.status).toBe(200);
    await page.getByLabel('Price').fill('14.00');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Changed elsewhere').waitFor();
    await page.getByText('Enamel mug (large)').waitFor();
    const after = (await (await fetch(`${apiUrl}/products/${productId}`)).json()) as {
      price: { amountMinor: number };
    };
    expect(after.price.amountMinor).toBe(1250);
  });

  it('finds the product with the list filters', async () => {
    await page.getByRole('link', { name: 'Products' }).first().click();
    await page.getByLabel('Name').fill('mug');
    await page.getByLabel('Min price').fill('12');
    await page.getByLabel('Max price').fill('13');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'Enamel mug (large)' }).waitFor();
    await page.getByLabel('Min price').fill('13');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No product matches these filters').waitFor();
  });

  it('says the API cannot be reached, and recovers when it can', async () => {
    await page.route(`${apiUrl}/trpc/**`, (route) => route.abort('connectionrefused'));
    await page.getByLabel('Name').fill('lamp');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('alert').filter({ hasText: 'The API cannot be reached.' }).waitFor({
      timeout: 30_000,
    });
    await page.unroute(`${apiUrl}/trpc/**`);
    await page.getByLabel('Name').fill('mug');
    await page.getByLabel('Min price').fill('12');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'Enamel mug (large)' }).waitFor();
  });

  it('shows a failed image with the reason it failed', async () => {
    await page.getByRole('link', { name: 'New product' }).click();
    await page.getByLabel('Name').fill('Broken lamp');
    await page.getByLabel('Price').fill('5');
    // A loopback address: allowlisted for the API, refused by the processor's SSRF guard (a
    // permanent failure).
    await page.getByLabel('Image URLs (one per line)').fill('http://127.0.0.1:9/lamp.jpg');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: 'Broken lamp' }).waitFor();
    const failed = page.locator('[data-testid="image-card"][data-status="failed"]');
    await failed.waitFor({ timeout: 60_000 });
    const reason = (await failed.getByRole('alert').textContent()) ?? '';
    expect(reason.length).toBeGreaterThan(0);
    expect(reason).not.toBe('processing failed');
    // Its original cannot be loaded either: said in words, not with a broken-image icon.
    await failed.getByText('image unavailable').waitFor();
    await page.getByRole('link', { name: 'Products' }).first().click();
  });

  it('shows a banner while the browser is offline', async () => {
    await context.setOffline(true);
    await page.getByText('You are offline').waitFor();
    await context.setOffline(false);
    await page.getByText('You are offline').waitFor({ state: 'detached' });
  });

  it('uploads two images by drag-and-drop straight to S3, with a progress bar per file', async () => {
    // Said plainly when the object store refuses the browser's origin (an S3Proxy started by an
    // infra/local/up older than its loopback CORS rule), rather than as a failed upload row.
    expect(
      await s3AllowsPutFrom(services.s3.endpoint, services.s3.bucket, apiUrl),
      `S3 at ${services.s3.endpoint} must allow browser PUTs from ${apiUrl} (CORS)`,
    ).toBe(true);
    await page.goto(`${apiUrl}/console/products/${productId}`);
    await page.evaluate('window.marker = 43');
    const files = [
      { name: 'c.jpg', bytes: [...(await photo(800, 600, 3))] },
      { name: 'd.jpg', bytes: [...(await photo(700, 700, 4))] },
    ];
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      for (const f of ${JSON.stringify(files)}) {
        transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/jpeg' }));
      }
      return transfer;
    })()`);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
    const rows = page.getByTestId('upload-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('[data-testid="upload-row"] progress').count()).toBe(2);
    await expect
      .poll(() => page.locator('[data-testid="upload-row"].upload-done').count(), {
        timeout: 60_000,
      })
      .toBe(2);
    await expect
      .poll(() => page.locator('[data-testid="image-card"][data-status="ready"]').count(), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(4);
    // Turned ready through the stream, without a reload.
    expect(await page.evaluate<number>('window.marker')).toBe(43);
    expect(await page.getByTestId('live-mode').textContent()).toBe('live');
    expect(await page.locator('[data-testid="upload-row"].upload-error').count()).toBe(0);
    expect(await expectImagesRendered(page, '[data-testid="variant-image"]')).toBe(
      await page.getByTestId('variant').count(),
    );
    expect(await expectImagesRendered(page, '[data-testid="original-image"]')).toBe(4);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots, 'console-product-uploads.png'), fullPage: true });
  });

  it('shows operators the operations page with the dead-letter count', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${apiUrl}/console/sign-in`);
    await page.getByLabel('Subject').fill('console-operator');
    await page.getByLabel('Operator').check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Reprocess images in bulk' }).waitFor();
    await page.getByTestId('dlq-count').waitFor();
    expect(await page.getByTestId('dlq-count').textContent()).toMatch(/^\d+ messages?$/);
    await page.screenshot({ path: join(shots, 'console-operations.png'), fullPage: true });
  });

  it('starts a bulk reprocess of the product and watches it complete', async () => {
    await page.getByLabel('Product ids (comma or space separated)').fill(productId);
    await page.getByRole('button', { name: 'Dry run' }).click();
    const total = Number(
      ((await page.getByTestId('preview-total').textContent()) ?? '').replace(/\D/g, ''),
    );
    expect(total).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Start' }).click();
    const job = page.getByTestId('bulk-job').first();
    await expect
      .poll(() => job.getAttribute('data-status'), { timeout: 180_000, interval: 500 })
      .toBe('completed');
    expect(await job.getByTestId('bulk-done').textContent()).toBe(`${total} / ${total}`);
    expect(await job.getAttribute('data-status')).toBe('completed');
    const shot = join(shots, 'console-operations.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await sharp(shot).metadata()).width).toBe(1280);
  });

  it('raised no uncaught error and broke no content security rule throughout', () => {
    expect(pageErrors).toEqual([]);
  });
});
