import { createHash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Product, parseImageJobEvent, type UploadTicket } from '@zocket/contracts';
import {
  createTcpProxy,
  pngImage,
  type TcpProxy,
  type TopicTap,
  testS3Client,
  testServices,
} from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiWorld,
  createApiWorld,
  expectNoStack,
  type Json,
  newSubject,
} from './api-world.js';

const MAX_FILE = 256 * 1024;

/** S3 reached through a proxy: the presigned URL must name this endpoint, not S3_ENDPOINT. */
async function publicS3(): Promise<TcpProxy> {
  const endpoint = new URL(testServices().s3.endpoint);
  return createTcpProxy({ host: endpoint.hostname, port: Number(endpoint.port || 80) });
}

async function createUpload(
  world: ApiWorld,
  token: string,
  productId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Json }> {
  return world.call('POST', `/products/${productId}/uploads`, { token, body });
}

function put(ticket: UploadTicket, body: Uint8Array, headers: Record<string, string> = {}) {
  return fetch(ticket.url, {
    method: ticket.method,
    headers: { ...ticket.headers, ...headers },
    body,
  });
}

async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('presigned direct-to-S3 uploads', () => {
  let world: ApiWorld;
  let proxy: TcpProxy;
  let s3: S3Client;
  let jobs: TopicTap;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    proxy = await publicS3();
    world = await createApiWorld({
      env: {
        S3_PUBLIC_ENDPOINT: `http://${proxy.address}`,
        UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
      },
    });
    s3 = testS3Client(world.services.s3);
    jobs = await world.tapTopic(world.topics.imageJobs);
    alice = await world.token(newSubject('alice'));
    bob = await world.token(newSubject('bob'));
  });
  afterAll(async () => {
    await world?.close();
    await proxy?.close();
  });

  const newTicket = async (productId: string, bytes: Uint8Array, type = 'image/png') => {
    const res = await createUpload(world, alice, productId, {
      contentType: type,
      contentLength: bytes.length,
    });
    expect(res.status).toBe(200);
    return res.body as UploadTicket;
  };

  it('signs a PUT on the public endpoint with no checksum parameter', async () => {
    const product = await world.createProduct(alice);
    const ticket = await newTicket(product.id, pngImage(8, 8));
    const url = new URL(ticket.url);
    expect(url.host).toBe(proxy.address);
    expect(ticket.method).toBe('PUT');
    expect(ticket.headers).toEqual({ 'content-type': 'image/png' });
    const params = [...url.searchParams.keys()].map((k) => k.toLowerCase());
    expect(params.filter((k) => k.includes('checksum'))).toEqual([]);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(Date.parse(ticket.expiresAt) - Date.now()).toBeGreaterThan(500_000);
  });

  it('uploads straight to S3, then completes into a pending image with its job', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(16, 16);
    const ticket = await newTicket(product.id, bytes);
    expect((await put(ticket, bytes)).status).toBe(200);

    const done = await world.call('POST', `/uploads/${ticket.uploadId}/complete`, { token: alice });
    expect(done.status).toBe(200);
    const completed = done.body as Product;
    expect(completed.images).toHaveLength(1);
    const image = completed.images[0];
    expect(image?.status).toBe('pending');
    expect(image?.source).toEqual({
      kind: 'upload',
      key: `uploads/${product.id}/direct/${ticket.uploadId}`,
    });
    const job = await jobs.waitFor((r) => r.value?.includes(image?.id ?? '-') ?? false, 'the job');
    const event = parseImageJobEvent(job.value ?? '');
    expect(event.ok && event.value.reason).toBe('uploaded');
  });

  it('is refused by S3 when the body has another length or type than was signed', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(16, 16);
    const ticket = await newTicket(product.id, bytes);
    const longer = Buffer.concat([bytes, Buffer.from([0])]);
    expect((await put(ticket, longer)).status).toBe(403);
    expect((await put(ticket, bytes, { 'content-type': 'image/jpeg' })).status).toBe(403);
    const key = `uploads/${product.id}/direct/${ticket.uploadId}`;
    expect(await objectExists(s3, world.config.s3.bucket, key)).toBe(false);
  });

  it('answers 415 for an object that is not an image, deletes it and adds no image', async () => {
    const product = await world.createProduct(alice);
    const text = Buffer.from('this is not a png at all, just some text pretending');
    const ticket = await newTicket(product.id, text);
    expect((await put(ticket, text)).status).toBe(200);
    const res = await world.call('POST', `/uploads/${ticket.uploadId}/complete`, { token: alice });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expectNoStack(res.body);
    const after = await world.call('GET', `/products/${product.id}`);
    expect((after.body as Product).images).toEqual([]);
    const key = `uploads/${product.id}/direct/${ticket.uploadId}`;
    expect(await objectExists(s3, world.config.s3.bucket, key)).toBe(false);
    // Asking again gives the same answer.
    const again = await world.call('POST', `/uploads/${ticket.uploadId}/complete`, {
      token: alice,
    });
    expect(again.status).toBe(415);
  });

  it('checks a declared sha256 against the uploaded object', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(9, 9);
    const other = pngImage(9, 9); // same length, other content
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const ticket = async () => {
      const res = await createUpload(world, alice, product.id, {
        contentType: 'image/png',
        contentLength: bytes.length,
        sha256,
      });
      return res.body as UploadTicket;
    };
    const wrong = await ticket();
    expect((await put(wrong, other)).status).toBe(200);
    const refused = await world.call('POST', `/uploads/${wrong.uploadId}/complete`, {
      token: alice,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/sha256/);
    const right = await ticket();
    expect((await put(right, bytes)).status).toBe(200);
    const ok = await world.call('POST', `/uploads/${right.uploadId}/complete`, { token: alice });
    expect(ok.status).toBe(200);
    expect((ok.body as Product).images).toHaveLength(1);
  });

  it('creates one image when completed twice, even at the same time', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(12, 12);
    const ticket = await newTicket(product.id, bytes);
    expect((await put(ticket, bytes)).status).toBe(200);
    const path = `/uploads/${ticket.uploadId}/complete`;
    const [a, b] = await Promise.all([
      world.call('POST', path, { token: alice }),
      world.call('POST', path, { token: alice }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await world.call('POST', path, { token: alice });
    expect(c.status).toBe(200);
    expect((c.body as Product).images).toHaveLength(1);
    expect((a.body as Product).images.map((i) => i.id)).toEqual(
      (c.body as Product).images.map((i) => i.id),
    );
  });

  it('answers 400 before the PUT, 404 to another seller, and 413 above the size limit', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(8, 8);
    const ticket = await newTicket(product.id, bytes);
    const early = await world.call('POST', `/uploads/${ticket.uploadId}/complete`, {
      token: alice,
    });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toMatch(/nothing was uploaded/);
    const other = await world.call('POST', `/uploads/${ticket.uploadId}/complete`, { token: bob });
    expect(other.status).toBe(404);
    const foreign = await createUpload(world, bob, product.id, {
      contentType: 'image/png',
      contentLength: 10,
    });
    expect(foreign.status).toBe(404);
    const large = await createUpload(world, alice, product.id, {
      contentType: 'image/png',
      contentLength: MAX_FILE + 1,
    });
    expect(large.status).toBe(413);
    const svg = await createUpload(world, alice, product.id, {
      contentType: 'image/svg+xml',
      contentLength: 10,
    });
    expect(svg.status).toBe(400);
    expect(Object.keys(svg.body.error.fields)).toEqual(['contentType']);
  });

  it('works from the typed tRPC client as well', async () => {
    const { createTRPCClient, httpLink } = await import('@trpc/client');
    type AppRouter = import('../src/index.js').AppRouter;
    const client = createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: `${world.baseUrl}/trpc`, headers: { authorization: `Bearer ${alice}` } }),
      ],
    });
    const product = await world.createProduct(alice);
    const bytes = pngImage(10, 10);
    const ticket = await client.products.createUpload.mutate({
      productId: product.id,
      contentType: 'image/png',
      contentLength: bytes.length,
    });
    expect((await put(ticket, bytes)).status).toBe(200);
    const done = await client.products.completeUpload.mutate({ uploadId: ticket.uploadId });
    expect(done.images).toHaveLength(1);
  });
});

describe('expired presigned uploads', () => {
  let world: ApiWorld;
  let s3: S3Client;
  let alice: string;

  beforeAll(async () => {
    world = await createApiWorld({
      env: { UPLOAD_URL_TTL_SECONDS: '3', UPLOAD_JANITOR_INTERVAL_MS: '3600000' },
    });
    s3 = testS3Client(world.services.s3);
    alice = await world.token(newSubject('alice'));
  });
  afterAll(async () => {
    await world?.close();
  });

  it('refuses a PUT after expiry, and the janitor removes uploads never completed', async () => {
    const product = await world.createProduct(alice);
    const bytes = pngImage(8, 8);
    const body = { contentType: 'image/png', contentLength: bytes.length };
    const late = (await createUpload(world, alice, product.id, body)).body as UploadTicket;
    const abandoned = (await createUpload(world, alice, product.id, body)).body as UploadTicket;
    expect((await put(abandoned, bytes)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 4_500));
    expect((await put(late, bytes)).status).toBe(403);

    const key = `uploads/${product.id}/direct/${abandoned.uploadId}`;
    expect(await objectExists(s3, world.config.s3.bucket, key)).toBe(true);
    expect(await world.api.janitor.runOnce()).toBe(2);
    expect(await objectExists(s3, world.config.s3.bucket, key)).toBe(false);
    const res = await world.call('POST', `/uploads/${abandoned.uploadId}/complete`, {
      token: alice,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/expired/);
    expect(await world.api.janitor.runOnce()).toBe(0);
    const after = await world.call('GET', `/products/${product.id}`);
    expect((after.body as Product).images).toEqual([]);
  });
});
