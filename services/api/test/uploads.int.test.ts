import { createHash, randomUUID } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Product, parseImageJobEvent } from '@zocket/contracts';
import { pngImage, type TopicTap, testS3Client } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiWorld,
  createApiWorld,
  expectNoStack,
  filesForm,
  type Json,
  jpegLike,
  newSubject,
} from './api-world.js';

const MAX_FILE = 64 * 1024;
const MAX_REQUEST = 100_000;

let world: ApiWorld;
let s3: S3Client;
let jobs: TopicTap;
let alice: string;
let bob: string;

beforeAll(async () => {
  world = await createApiWorld({
    env: {
      UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
      UPLOAD_MAX_FILES: '3',
      UPLOAD_MAX_REQUEST_BYTES: String(MAX_REQUEST),
    },
  });
  s3 = testS3Client(world.services.s3);
  jobs = await world.tapTopic(world.topics.imageJobs);
  alice = await world.token(newSubject('alice'));
  bob = await world.token(newSubject('bob'));
});

afterAll(async () => {
  s3?.destroy();
  await world?.close();
});

type Part = { name: string; bytes: Uint8Array; type?: string };

async function upload(id: string, files: Part[], token?: string) {
  const res = await world.request(`/products/${id}/images`, {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: filesForm(files),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function head(key: string) {
  return s3.send(new HeadObjectCommand({ Bucket: world.services.s3.bucket, Key: key })).then(
    (r) => r,
    (error: { name?: string }) => {
      if (error.name === 'NotFound' || error.name === 'NoSuchKey') return undefined;
      throw error;
    },
  );
}

async function imagesInDb(productId: string): Promise<number> {
  const r = await sql<{
    n: string;
  }>`select count(*) as n from product_images where product_id = ${productId}`.execute(
    world.api.ctx.db,
  );
  return Number(r.rows[0]?.n);
}

describe('POST /products/:id/images', () => {
  it('stores each original in S3 under its content hash and adds a pending image', async () => {
    const product = await world.createProduct(alice);
    const png = pngImage(8, 8);
    const res = await upload(
      product.id,
      [{ name: 'photo.png', bytes: png, type: 'image/png' }],
      alice,
    );
    expect(res.status).toBe(200);
    const key = `uploads/${product.id}/${sha256(png)}`;
    expect(res.body.images).toEqual([
      expect.objectContaining({ position: 0, status: 'pending', source: { kind: 'upload', key } }),
    ]);
    const object = await head(key);
    expect(object?.ContentLength).toBe(png.length);
    expect(object?.ContentType).toBe('image/png');
  });

  it('enqueues one valid image job per uploaded image on Kafka, keyed by product', async () => {
    const product = await world.createProduct(alice);
    const files = [
      { name: 'a.png', bytes: pngImage(4, 4) },
      { name: 'b.jpg', bytes: jpegLike() },
    ];
    const res = await upload(product.id, files, alice);
    expect(res.status).toBe(200);
    const imageIds = (res.body as Product).images.map((i) => i.id);
    expect(imageIds).toHaveLength(2);
    for (const imageId of imageIds) {
      await jobs.waitFor((r) => r.value?.includes(imageId) ?? false, `job for ${imageId}`);
    }
    const mine = jobs.records.filter((r) => r.key === product.id);
    expect(mine).toHaveLength(2);
    for (const record of mine) {
      const event = parseImageJobEvent(record.value);
      expect(event.ok, JSON.stringify(event)).toBe(true);
      if (event.ok) {
        expect(event.value).toMatchObject({
          productId: product.id,
          reason: 'uploaded',
          source: { kind: 'upload' },
        });
        expect(imageIds).toContain(event.value.imageId);
      }
    }
  });

  it('trusts magic bytes, not the file name or declared type', async () => {
    const product = await world.createProduct(alice);
    const png = pngImage(3, 3);
    const res = await upload(
      product.id,
      [{ name: 'notes.txt', bytes: png, type: 'text/plain' }],
      alice,
    );
    expect(res.status).toBe(200);
    expect((await head(`uploads/${product.id}/${sha256(png)}`))?.ContentType).toBe('image/png');
  });

  it.each([
    [
      'an SVG named .png',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      'x.png',
      'image/png',
    ],
    [
      'an SVG with an XML prolog',
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
      'x.svg',
      'image/svg+xml',
    ],
    ['plain text', 'hello, this is definitely not an image at all', 'x.jpg', 'image/jpeg'],
    ['HTML', '<!doctype html><html><body>hi</body></html>', 'x.gif', 'image/gif'],
  ])('refuses %s with 415 and stores nothing', async (_, text, name, type) => {
    const product = await world.createProduct(alice);
    const bytes = Buffer.from(text);
    const res = await upload(product.id, [{ name, bytes, type }], alice);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expectNoStack(res.body);
    expect(await imagesInDb(product.id)).toBe(0);
    expect(await head(`uploads/${product.id}/${sha256(bytes)}`)).toBeUndefined();
  });

  it('refuses the whole request when one of several files is not an image', async () => {
    const product = await world.createProduct(alice);
    const png = pngImage(2, 2);
    const res = await upload(
      product.id,
      [
        { name: 'ok.png', bytes: png },
        { name: 'evil.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>') },
      ],
      alice,
    );
    expect(res.status).toBe(415);
    expect(await imagesInDb(product.id)).toBe(0);
    expect(await head(`uploads/${product.id}/${sha256(png)}`)).toBeUndefined();
  });

  it('answers 413 for a file over UPLOAD_MAX_FILE_BYTES and stores nothing', async () => {
    const product = await world.createProduct(alice);
    const big = pngImage(160, 160); // ~77 KB of incompressible pixels
    expect(big.length).toBeGreaterThan(MAX_FILE);
    expect(big.length).toBeLessThan(MAX_REQUEST);
    const res = await upload(product.id, [{ name: 'big.png', bytes: big }], alice);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await imagesInDb(product.id)).toBe(0);
    expect(await head(`uploads/${product.id}/${sha256(big)}`)).toBeUndefined();
  });

  it('answers 413 for a request over UPLOAD_MAX_REQUEST_BYTES, also over the network', async () => {
    const product = await world.createProduct(alice);
    const files = [
      { name: 'a.png', bytes: pngImage(130, 130) },
      { name: 'b.png', bytes: pngImage(130, 130) },
    ];
    expect(files.every((f) => f.bytes.length < MAX_FILE)).toBe(true);
    const res = await upload(product.id, files, alice);
    expect(res.status).toBe(413);
    const network = await fetch(`${world.baseUrl}/products/${product.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: filesForm(files),
    });
    expect(network.status).toBe(413);
    expect(((await network.json()) as { error: { code: string } }).error.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(await imagesInDb(product.id)).toBe(0);
  });

  it('refuses more files than UPLOAD_MAX_FILES, and none at all, with 400', async () => {
    const product = await world.createProduct(alice);
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.png`, bytes: pngImage(2, 2) }));
    const tooMany = await upload(product.id, four, alice);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { files: expect.any(Array) },
    });
    const none = await upload(product.id, [], alice);
    expect(none.status).toBe(400);
    expect(none.body.error.fields).toHaveProperty('files');
    expect(await imagesInDb(product.id)).toBe(0);
  });

  it('refuses a text field named files with 400', async () => {
    const product = await world.createProduct(alice);
    const form = new FormData();
    form.append('files', 'not a file');
    const res = await world.request(`/products/${product.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: form,
    });
    expect(res.status).toBe(400);
  });

  it('refuses a body that is not multipart with 415', async () => {
    const product = await world.createProduct(alice);
    const res = await world.call('POST', `/products/${product.id}/images`, {
      token: alice,
      body: { files: [] },
    });
    expect(res.status).toBe(415);
  });

  it('refuses a malformed multipart body with 400', async () => {
    const product = await world.createProduct(alice);
    const res = await world.request(`/products/${product.id}/images`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice}`,
        'content-type': 'multipart/form-data; boundary=xyz',
      },
      body: '--abc\r\nnot really multipart',
    });
    expect(res.status).toBe(400);
    expectNoStack(await res.json());
  });

  it('answers 400 for an id that is not a UUID and 404 for an unknown product', async () => {
    const bad = await upload('not-a-uuid', [{ name: 'a.png', bytes: pngImage() }], alice);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual({ id: ['must be a UUID'] });
    const dashes = await upload('-'.repeat(36), [{ name: 'a.png', bytes: pngImage() }], alice);
    expect(dashes.status).toBe(400);
    expect(dashes.body.error.fields).toEqual({ id: ['must be a UUID'] });
    const missing = await upload(randomUUID(), [{ name: 'a.png', bytes: pngImage() }], alice);
    expect(missing.status).toBe(404);
  });

  it('refuses an upload that would take a product past 20 images', async () => {
    const urls = Array.from({ length: 20 }, (_, i) => `https://cdn.example.com/${i}.jpg`);
    const product = await world.createProduct(alice, { imageUrls: urls });
    const res = await upload(product.id, [{ name: 'a.png', bytes: pngImage() }], alice);
    expect(res.status).toBe(400);
    expect(await imagesInDb(product.id)).toBe(20);
  });

  it('keeps concurrent uploads within 20 images: one fits, the others are refused', async () => {
    const urls = Array.from({ length: 18 }, (_, i) => `https://cdn.example.com/${i}.jpg`);
    const product = await world.createProduct(alice, { imageUrls: urls });
    // Each request alone fits (18 + 2); they pass the early check together and meet at the lock.
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, r) =>
        upload(
          product.id,
          [
            { name: 'a.png', bytes: pngImage(3 + r, 2) },
            { name: 'b.png', bytes: pngImage(3 + r, 3) },
          ],
          alice,
        ),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
    for (const refused of results.filter((r) => r.status === 400)) {
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(await imagesInDb(product.id)).toBe(20);
  });

  it('returns 404 when another user uploads to a product, and nothing changes', async () => {
    const product = await world.createProduct(alice);
    const png = pngImage(5, 5);
    const res = await upload(product.id, [{ name: 'x.png', bytes: png }], bob);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await imagesInDb(product.id)).toBe(0);
    expect(await head(`uploads/${product.id}/${sha256(png)}`)).toBeUndefined();
    const after = await world.call('GET', `/products/${product.id}`);
    expect(after.body).toMatchObject({
      version: product.version,
      updatedAt: product.updatedAt,
      images: [],
    });
  });

  it('shows the new image on the next read even when the product was cached', async () => {
    const product = await world.createProduct(alice);
    await world.call('GET', `/products/${product.id}`);
    await world.call('GET', `/products/${product.id}`);
    const res = await upload(product.id, [{ name: 'a.png', bytes: pngImage() }], alice);
    expect(res.status).toBe(200);
    const after = await world.call('GET', `/products/${product.id}`);
    expect(after.body.images).toHaveLength(1);
    expect(after.body.updatedAt).not.toBe(product.updatedAt);
  });
});

describe('tRPC products.uploadImages (FormData)', () => {
  it('uploads with fields id and files and returns the product', async () => {
    const product = await world.createProduct(alice);
    const png = pngImage(6, 6);
    const res = await world.request('/trpc/products.uploadImages', {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: filesForm([{ name: 'a.png', bytes: png }], { id: product.id }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: Product } };
    expect(body.result.data.images).toEqual([
      expect.objectContaining({
        source: { kind: 'upload', key: `uploads/${product.id}/${sha256(png)}` },
      }),
    ]);
    expect(await head(`uploads/${product.id}/${sha256(png)}`)).toBeDefined();
  });

  it('refuses a bad id, a foreign product and an SVG like REST does', async () => {
    const product = await world.createProduct(alice);
    const call = async (
      fields: Record<string, string>,
      token: string,
      bytes: Uint8Array = pngImage(),
    ) => {
      const res = await world.request('/trpc/products.uploadImages', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: filesForm([{ name: 'f', bytes }], fields),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const badId = await call({ id: 'nope' }, alice);
    expect(badId.status).toBe(400);
    expect(badId.body.error.data).toMatchObject({
      appCode: 'VALIDATION_FAILED',
      fields: { id: ['must be a UUID'] },
    });
    expect((await call({ id: product.id }, bob)).status).toBe(404);
    const svg = await call(
      { id: product.id },
      alice,
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>  '),
    );
    expect(svg.status).toBe(415);
    expect(await imagesInDb(product.id)).toBe(0);
  });

  it('answers 413 for a file over the limit', async () => {
    const product = await world.createProduct(alice);
    const res = await world.request('/trpc/products.uploadImages', {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: filesForm([{ name: 'big.png', bytes: pngImage(160, 160) }], { id: product.id }),
    });
    expect(res.status).toBe(413);
  });
});
