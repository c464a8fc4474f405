import { createHash, randomUUID } from 'node:crypto';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  isNonJsonSerializable,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { pngImage } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
// Only the router's type crosses into the client, as in a browser app.
import type { AppRouter } from '../src/index.js';
import { type ApiWorld, createApiWorld, filesForm, newSubject } from './api-world.js';

let world: ApiWorld;
let requests: string[];

beforeAll(async () => {
  world = await createApiWorld();
});

afterAll(async () => {
  await world?.close();
});

function client(token?: string, extraHeaders: Record<string, string> = {}) {
  const url = `${world.baseUrl}/trpc`;
  const headers = () => ({
    ...extraHeaders,
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  });
  const countingFetch: typeof fetch = (input, init) => {
    requests.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => isNonJsonSerializable(op.input),
        true: httpLink({ url, headers, fetch: countingFetch }),
        false: httpBatchLink({ url, headers, fetch: countingFetch }),
      }),
    ],
  });
}

/** The rejection of a call, as the typed client error. */
async function failure(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const input = {
  name: 'Typed teapot',
  description: 'from the typed client',
  price: { amountMinor: 1999, currency: 'EUR' },
  imageUrls: ['https://cdn.example.com/teapot.jpg'],
};

describe('a typed @trpc/client against the running server', () => {
  beforeAll(() => {
    requests = [];
  });

  it('creates, reads, lists, updates, reprocesses and deletes a product', async () => {
    const alice = client(await world.token(newSubject('alice')));
    const created = await alice.products.create.mutate(input);
    expectTypeOf(created.price.amountMinor).toEqualTypeOf<number>();
    expect(created).toMatchObject({
      name: 'Typed teapot',
      price: { amountMinor: 1999, currency: 'EUR' },
      version: 1,
    });

    const read = await alice.products.byId.query({ id: created.id });
    expect(read).toEqual(created);

    const page = await alice.products.list.query({ userId: created.ownerId, limit: 10 });
    expectTypeOf(page.nextCursor).toEqualTypeOf<string | null>();
    expect(page.items.map((p) => p.id)).toEqual([created.id]);

    const updated = await alice.products.update.mutate({
      id: created.id,
      expectedVersion: 1,
      name: 'Renamed teapot',
    });
    expect(updated).toMatchObject({ name: 'Renamed teapot', version: 2 });

    const reprocessed = await alice.products.reprocess.mutate({ id: created.id });
    expect(reprocessed.images.map((i) => i.status)).toEqual(['pending']);

    const deleted = await alice.products.delete.mutate({ id: created.id });
    expect(deleted).toEqual({ id: created.id, deleted: true });
    const gone = await failure(alice.products.byId.query({ id: created.id }));
    expect(gone.data).toMatchObject({ code: 'NOT_FOUND', appCode: 'NOT_FOUND', httpStatus: 404 });
  });

  it('uploads FormData through httpLink (split from the batch link)', async () => {
    const token = await world.token(newSubject('uploader'));
    const alice = client(token);
    const product = await alice.products.create.mutate({ ...input, imageUrls: [] });
    const png = pngImage(4, 4);
    requests = [];
    const uploaded = await alice.products.uploadImages.mutate(
      filesForm([{ name: 'photo.png', bytes: png, type: 'image/png' }], { id: product.id }),
    );
    const key = `uploads/${product.id}/${createHash('sha256').update(png).digest('hex')}`;
    expect(uploaded.images).toEqual([
      expect.objectContaining({ status: 'pending', source: { kind: 'upload', key } }),
    ]);
    // The upload went through the non-batching link.
    expect(requests).toHaveLength(1);
    expect(requests[0]).not.toContain('batch=1');
  });

  it('batches concurrent queries into one HTTP request with httpBatchLink', async () => {
    const anonymous = client();
    const owner = client(await world.token(newSubject('batch')));
    const [a, b] = await Promise.all([
      owner.products.create.mutate({ ...input, name: 'A' }),
      owner.products.create.mutate({ ...input, name: 'B' }),
    ]);
    requests = [];
    const [ra, rb, page] = await Promise.all([
      anonymous.products.byId.query({ id: a.id }),
      anonymous.products.byId.query({ id: b.id }),
      anonymous.products.list.query({ userId: a.ownerId }),
    ]);
    expect([ra.name, rb.name]).toEqual(['A', 'B']);
    expect(page.items).toHaveLength(2);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('batch=1');
  });

  it('returns exactly what the REST twin returns', async () => {
    const owner = client(await world.token(newSubject('twin')));
    const created = await owner.products.create.mutate(input);
    const viaTrpc = await client().products.byId.query({ id: created.id });
    const viaRest = await (await fetch(`${world.baseUrl}/products/${created.id}`)).json();
    expect(viaRest).toEqual(viaTrpc);
    const pageTrpc = await client().products.list.query({ userId: created.ownerId });
    const pageRest = await (
      await fetch(`${world.baseUrl}/products?userId=${created.ownerId}`)
    ).json();
    expect(pageRest).toEqual(pageTrpc);
  });

  it('surfaces validation errors with field paths and the request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const owner = client(await world.token(newSubject('invalid')), { 'x-request-id': requestId });
    const error = await failure(
      owner.products.create.mutate({ ...input, price: { amountMinor: 19.99, currency: 'EUR' } }),
    );
    expect(error.data).toMatchObject({
      code: 'BAD_REQUEST',
      appCode: 'VALIDATION_FAILED',
      httpStatus: 400,
      requestId,
      fields: { 'price.amountMinor': [expect.stringContaining('whole number')] },
    });
    expect(JSON.stringify(error.shape)).not.toMatch(/\.ts:\d+|node_modules|stack/);
  });

  it('rejects at compile time what the server would reject at run time', async () => {
    const owner = client(await world.token(newSubject('types')));
    const error = await failure(
      // @ts-expect-error -- amounts are numbers of minor units, never strings
      owner.products.create.mutate({ ...input, price: { amountMinor: '1999', currency: 'EUR' } }),
    );
    expect(error.data?.httpStatus).toBe(400);
    const tooMany = await failure(client().products.list.query({ limit: 101 }));
    expect(tooMany.data?.appCode).toBe('VALIDATION_FAILED');
  });

  it('reports a stale version as CONFLICT', async () => {
    const owner = client(await world.token(newSubject('conflict')));
    const created = await owner.products.create.mutate(input);
    await owner.products.update.mutate({ id: created.id, expectedVersion: 1, name: 'v2' });
    const error = await failure(
      owner.products.update.mutate({ id: created.id, expectedVersion: 1, name: 'lost' }),
    );
    expect(error.data).toMatchObject({ code: 'CONFLICT', appCode: 'CONFLICT', httpStatus: 409 });
    expect((await client().products.byId.query({ id: created.id })).name).toBe('v2');
  });

  it('requires a token for mutations and refuses another user with NOT_FOUND', async () => {
    const alice = client(await world.token(newSubject('alice')));
    const bob = client(await world.token(newSubject('bob')));
    const product = await alice.products.create.mutate(input);

    const anonymous = await failure(client().products.delete.mutate({ id: product.id }));
    expect(anonymous.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });

    for (const attempt of [
      () => bob.products.update.mutate({ id: product.id, expectedVersion: 1, name: 'stolen' }),
      () => bob.products.delete.mutate({ id: product.id }),
      () => bob.products.reprocess.mutate({ id: product.id }),
      () =>
        bob.products.uploadImages.mutate(
          filesForm([{ name: 'x.png', bytes: pngImage() }], { id: product.id }),
        ),
    ]) {
      expect((await failure(attempt())).data?.appCode).toBe('NOT_FOUND');
    }
    const after = await client().products.byId.query({ id: product.id });
    expect(after).toMatchObject({
      version: 1,
      name: 'Typed teapot',
      images: [expect.objectContaining({ position: 0 })],
    });
    expect(after.images).toHaveLength(1);
  });

  it('refuses an expired token', async () => {
    const expired = client(await world.token(newSubject('late'), { ttlSeconds: -60 }));
    const error = await failure(expired.products.create.mutate(input));
    expect(error.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });
});
