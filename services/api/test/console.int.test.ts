import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pngImage } from '@zocket/testkit';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiWorld,
  createApiWorld,
  expectNoStack,
  filesForm,
  type Json,
  newSubject,
} from './api-world.js';

const INDEX =
  '<!doctype html><title>Zocket console</title><script src="/console/assets/app-1a2b3c.js"></script>';

describe('the console, POST /dev/token and uploaded originals', () => {
  let world: ApiWorld;
  let dir: string;
  let shopDir: string;
  const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

  beforeAll(async () => {
    shopDir = mkdtempSync(join(tmpdir(), 'zocket-shop-'));
    await mkdir(join(shopDir, 'assets'));
    writeFileSync(join(shopDir, 'index.html'), '<!doctype html><title>Zocket shop</title>');
    writeFileSync(join(shopDir, 'assets', 'shop-9f8e7d.js'), SCRIPT);
    dir = mkdtempSync(join(tmpdir(), 'zocket-console-'));
    await mkdir(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-1a2b3c.js'), 'console.log(1);');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    world = await createApiWorld({ env: { CONSOLE_DIR: dir, STOREFRONT_DIR: shopDir } });
  });

  afterAll(async () => {
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(shopDir, { recursive: true, force: true });
  });

  it('serves index.html at /console/, revalidated on every load, with a content security policy', async () => {
    const response = await world.request('/console/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toBe(INDEX);
    const bare = await world.request('/console');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it('caches hashed assets for a year and unhashed files not at all', async () => {
    const asset = await world.request('/console/assets/app-1a2b3c.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await world.request('/console/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers page paths with index.html, and missing files or paths outside with a 404', async () => {
    const page = await world.request('/console/products/7c0e2a5e-0000-4000-8000-000000000000');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    for (const path of [
      '/console/assets/gone-999.js',
      '/console/missing.png',
      '/console/..%2f..%2fpackage.json',
      '/console/%2e%2e/%2e%2e/package.json',
    ]) {
      const response = await world.request(path);
      expect(response.status, path).toBe(404);
      const body = (await response.json()) as Json;
      expect(body.error.code).toBe('NOT_FOUND');
    }
  });

  it('serves the storefront at /shop/ the same way, its pages answered with its index.html', async () => {
    const page = await world.request('/shop/p/7c0e2a5e-0000-4000-8000-000000000000');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Zocket shop');
    expect((await world.request('/shop')).headers.get('location')).toBe('/shop/');
    const asset = await world.request('/shop/assets/shop-9f8e7d.js');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    await world.request('/shop/some/page');
    expect(await (await world.request('/metrics')).text()).toMatch(/route="\/shop"/);
  });

  it('sends text compressed with brotli or gzip when the browser accepts it, and plain otherwise', async () => {
    const path = '/shop/assets/shop-9f8e7d.js';
    const br = await world.request(path, {
      headers: { 'accept-encoding': 'gzip, deflate, br, zstd' },
    });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(SCRIPT.length / 10);
    expect(brotliDecompressSync(brBytes).toString()).toBe(SCRIPT);
    const gz = await world.request(path, { headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(SCRIPT);
    const plain = await world.request(path);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);
  });

  it('labels every console path as one metrics route', async () => {
    await world.request('/console/some/page');
    const metrics = await (await world.request('/metrics')).text();
    expect(metrics).toMatch(/route="\/console"/);
    expect(metrics).not.toMatch(/route="\/console\/some/);
  });

  it('mints a development token that the API accepts, with the operator role when asked', async () => {
    const subject = newSubject('console');
    const minted = await world.call('POST', '/dev/token', { body: { subject, operator: true } });
    expect(minted.status).toBe(200);
    const claims = decodeJwt(minted.body.token);
    expect(claims.sub).toBe(subject);
    expect(claims.roles).toEqual(['operator']);
    const seller = await world.call('POST', '/dev/token', { body: { subject } });
    expect(decodeJwt(seller.body.token).roles).toBeUndefined();
    const product = await world.createProduct(seller.body.token);
    expect(product.name).toBeTruthy();
  });

  it('refuses a development token request without a subject, with the field named', async () => {
    const missing = await world.call('POST', '/dev/token', { body: { operator: true } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(missing.body.error.fields)).toEqual(['subject']);
    const malformed = await world.call('POST', '/dev/token', { body: '{"subject":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');
    expectNoStack(malformed.body);
  });

  it('serves an uploaded original to its owner only', async () => {
    const alice = await world.token(newSubject('alice'));
    const bob = await world.token(newSubject('bob'));
    const product = await world.createProduct(alice);
    const png = pngImage(8, 8);
    const uploaded = await world.request(`/products/${product.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: filesForm([{ name: 'a.png', bytes: png }]),
    });
    expect(uploaded.status).toBe(200);
    const image = ((await uploaded.json()) as Json).images[0];
    const path = `/products/${product.id}/images/${image.id}/original`;

    const own = await world.request(path, { headers: { authorization: `Bearer ${alice}` } });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('image/png');
    expect(own.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(Buffer.from(await own.arrayBuffer()).equals(png)).toBe(true);

    const other = await world.request(path, { headers: { authorization: `Bearer ${bob}` } });
    expect(other.status).toBe(404);
    expect((await world.request(path)).status).toBe(401);
  });
});

describe('POST /dev/token in production', () => {
  it('does not exist', async () => {
    await using world = await createApiWorld({
      env: { NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-0123456789abcdef' },
    });
    const response = await world.call('POST', '/dev/token', { body: { subject: 'mallory' } });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});
