import { randomUUID } from 'node:crypto';
import { pngImage } from '@zocket/testkit';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiWorld,
  createApiWorld,
  expectNoStack,
  filesForm,
  newSubject,
} from './api-world.js';

let world: ApiWorld;

beforeAll(async () => {
  world = await createApiWorld();
});

afterAll(async () => {
  await world?.close();
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function sign(
  claims: Record<string, unknown>,
  options: {
    secret?: string;
    alg?: string;
    issuer?: string;
    audience?: string;
    exp?: number;
    sub?: string | null;
  } = {},
): Promise<string> {
  const { auth } = world.config;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? auth.issuer)
    .setAudience(options.audience ?? auth.audience)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.sub !== null) jwt = jwt.setSubject(options.sub ?? newSubject('jwt'));
  return jwt.sign(new TextEncoder().encode(options.secret ?? (auth.jwtSecret as string)));
}

const createBody = { name: 'Token test', price: { amountMinor: 100, currency: 'EUR' } };

async function expectRefused(token: string, label: string) {
  const res = await world.call('POST', '/products', { token, body: createBody });
  expect(res.status, label).toBe(401);
  expect(res.body.error.code, label).toBe('UNAUTHORIZED');
  expectNoStack(res.body);
  // The signature of a refused token is never an opinion: no product is created for it.
}

describe('bearer tokens', () => {
  it('accepts a valid HS256 token from signDevToken', async () => {
    const token = await world.token(newSubject('valid'));
    const res = await world.call('POST', '/products', { token, body: createBody });
    expect(res.status).toBe(200);
  });

  it('refuses an unsigned token (alg none) with 401', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
      sub: newSubject('none'),
      iss: world.config.auth.issuer,
      aud: world.config.auth.audience,
      exp: now() + 600,
    })}.`;
    await expectRefused(token, 'alg none');
  });

  it('refuses an expired token with 401', async () => {
    await expectRefused(await sign({}, { exp: now() - 120 }), 'expired');
  });

  it('refuses a token whose payload was tampered with', async () => {
    const token = await sign({}, { sub: 'honest-user' });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url({
      sub: 'admin',
      iss: world.config.auth.issuer,
      aud: world.config.auth.audience,
      exp: now() + 600,
    })}.${signature}`;
    await expectRefused(forged, 'tampered payload');
    // The second-to-last character carries six signature bits (the last one has padding bits):
    // replace it with a different one.
    const at = token.length - 2;
    const flipped = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    await expectRefused(flipped, 'tampered signature');
  });

  it('refuses a token signed with another secret', async () => {
    await expectRefused(
      await sign({}, { secret: 'not-the-secret-of-this-api-at-all' }),
      'wrong secret',
    );
  });

  it('refuses a token for another issuer or audience', async () => {
    await expectRefused(await sign({}, { issuer: 'someone-else' }), 'wrong issuer');
    await expectRefused(await sign({}, { audience: 'another-api' }), 'wrong audience');
  });

  it('refuses a token signed with an algorithm it does not allow', async () => {
    await expectRefused(await sign({}, { alg: 'HS512' }), 'HS512');
  });

  it('refuses a token without a subject', async () => {
    await expectRefused(await sign({}, { sub: null }), 'no sub');
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const token = await world.token(newSubject());
    for (const header of [
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer`,
      `Token ${token}`,
      'garbage',
    ]) {
      const res = await world.call('POST', '/products', {
        body: createBody,
        headers: { authorization: header },
      });
      expect(res.status, header).toBe(401);
    }
  });

  it('refuses an invalid token even on a public read, rather than ignoring it', async () => {
    const res = await world.call('GET', '/products', {
      token: await sign({}, { exp: now() - 60 }),
    });
    expect(res.status).toBe(401);
  });

  it('creates no product and no user for a refused token', async () => {
    const subject = newSubject('ghost');
    await expectRefused(await sign({}, { sub: subject, issuer: 'evil' }), 'wrong issuer');
    const users = await sql`select 1 from users where subject = ${subject}`.execute(
      world.api.ctx.db,
    );
    expect(users.rows).toHaveLength(0);
  });
});

describe('which routes need a token', () => {
  let productId: string;

  beforeAll(async () => {
    const product = await world.createProduct(await world.token(newSubject('owner')));
    productId = product.id;
  });

  it('serves reads to anonymous callers', async () => {
    expect((await world.call('GET', `/products/${productId}`)).status).toBe(200);
    expect((await world.call('GET', '/products')).status).toBe(200);
    const trpc = await world.request(
      `/trpc/products.byId?input=${encodeURIComponent(JSON.stringify({ id: productId }))}`,
    );
    expect(trpc.status).toBe(200);
  });

  it('refuses every write without a token with 401 and the error body', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/products', createBody],
      ['PATCH', `/products/${productId}`, { expectedVersion: 1, name: 'x' }],
      ['DELETE', `/products/${productId}`, undefined],
      ['POST', `/products/${productId}/reprocess`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await world.call(method, path, { body, headers: { 'x-request-id': 'req-anon' } });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body, `${method} ${path}`).toEqual({
        error: { code: 'UNAUTHORIZED', message: expect.any(String), requestId: 'req-anon' },
      });
    }
    const upload = await world.request(`/products/${productId}/images`, {
      method: 'POST',
      body: filesForm([{ name: 'a.png', bytes: pngImage() }]),
    });
    expect(upload.status).toBe(401);
    const product = await world.call('GET', `/products/${productId}`);
    expect(product.body).toMatchObject({ version: 1, images: [] });
  });

  it('refuses tRPC mutations without a token', async () => {
    for (const [path, input] of [
      ['products.create', createBody],
      ['products.update', { id: productId, expectedVersion: 1, name: 'x' }],
      ['products.delete', { id: productId }],
      ['products.reprocess', { id: productId }],
    ] as const) {
      const res = await world.request(`/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      expect(res.status, path).toBe(401);
      const body = (await res.json()) as { error: { data: { appCode: string } } };
      expect(body.error.data.appCode, path).toBe('UNAUTHORIZED');
    }
    const form = filesForm([{ name: 'a.png', bytes: pngImage() }], { id: productId });
    const upload = await world.request('/trpc/products.uploadImages', {
      method: 'POST',
      body: form,
    });
    expect(upload.status).toBe(401);
  });

  it('answers a write to a missing product with 401 before 404 when anonymous', async () => {
    const res = await world.call('DELETE', `/products/${randomUUID()}`);
    expect(res.status).toBe(401);
  });
});
