import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, expectNoStack, newSubject } from './api-world.js';

/*
 * What a fuzzer driven by /openapi.json (schemathesis) and hand-made hostile requests found: each
 * answer must be a typed error in the one error body, and the document must describe what the
 * server really answers.
 */
let world: ApiWorld;

beforeAll(async () => {
  world = await createApiWorld();
});
afterAll(() => world?.close());

const product = {
  name: 'Mug',
  description: 'Blue',
  price: { amountMinor: 1999, currency: 'EUR' },
  imageUrls: [] as string[],
};

type Json = Record<string, unknown> & { [key: string]: Json };
type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
  parameters?: { name: string; schema: Json }[];
  responses: Record<string, unknown>;
};

async function openApiOperation(path: string, method: string): Promise<Operation> {
  const res = await world.call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  const operation = res.body.paths[path]?.[method] as Operation | undefined;
  if (operation === undefined) throw new Error(`no ${method} ${path} in the document`);
  return operation;
}

/** A REST answer refusing the input with 400 VALIDATION_FAILED on exactly these fields, no stack. */
function expectFieldsRefused(res: Awaited<ReturnType<ApiWorld['call']>>, fields: string[]) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_FAILED');
  expect(Object.keys(res.body.error.fields)).toEqual(fields);
  expectNoStack(res.body);
}

describe('a lone UTF-16 surrogate in text input', () => {
  // JSON may escape half of a surrogate pair on its own; it has no UTF-8 form, and PostgreSQL
  // would have been given U+FFFD in its place: the stored name was not the one sent.
  const lone = 'Mu\ud800g';

  it('is refused with 400 naming the field over REST', async () => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', { token, body: { ...product, name: lone } });
    expectFieldsRefused(res, ['name']);
  });

  it('is refused with 400 naming the field over tRPC, in update and in the list filter', async () => {
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    const update = await world.call('POST', '/trpc/products.update', {
      token,
      body: { id: created.id, expectedVersion: created.version, description: `x${lone}` },
    });
    expect(update.status).toBe(400);
    expect(update.body.error.data.appCode).toBe('VALIDATION_FAILED');
    expect(Object.keys(update.body.error.data.fields)).toEqual(['description']);
    const list = await world.call(
      'GET',
      `/trpc/products.list?input=${encodeURIComponent(JSON.stringify({ name: lone }))}`,
    );
    expect(list.status).toBe(400);
    expect(Object.keys(list.body.error.data.fields)).toEqual(['name']);
  });

  it('is not confused with a whole pair: an emoji is stored as sent', async () => {
    const token = await world.token(newSubject());
    const created = await world.createProduct(token, { name: 'Mug \u{1F375}' });
    const read = await world.call('GET', `/products/${created.id}`);
    expect(read.body.name).toBe('Mug \u{1F375}');
  });
});

describe('an image URL naming a loopback, private or metadata address', () => {
  const refused = [
    'http://127.0.0.1/a.jpg',
    'http://127.1:8080/a.jpg',
    'http://0x7f000001/a.jpg',
    'http://2130706433/a.jpg',
    'http://0/a.jpg',
    'http://[::1]/a.jpg',
    'http://[::ffff:127.0.0.1]/a.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://10.0.0.1/a.jpg',
    'http://192.168.1.1/a.jpg',
    'https://localhost/a.jpg',
    'https://images.localhost./a.jpg',
  ];

  it.each(refused)('is refused with 400 naming the field over REST (%s)', async (url) => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', {
      token,
      body: { ...product, imageUrls: ['https://cdn.example.com/ok.jpg', url] },
    });
    expectFieldsRefused(res, ['imageUrls.1']);
  });

  it('is refused over tRPC, in create and in update, and nothing is written', async () => {
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    const create = await world.call('POST', '/trpc/products.create', {
      token,
      body: { ...product, imageUrls: ['http://169.254.169.254/latest/meta-data/'] },
    });
    expect(create.status).toBe(400);
    expect(create.body.error.data.appCode).toBe('VALIDATION_FAILED');
    expect(Object.keys(create.body.error.data.fields)).toEqual(['imageUrls.0']);
    const update = await world.call('POST', '/trpc/products.update', {
      token,
      body: { id: created.id, expectedVersion: created.version, imageUrls: ['http://[::1]/a'] },
    });
    expect(update.status).toBe(400);
    expect(Object.keys(update.body.error.data.fields)).toEqual(['imageUrls.0']);
    const read = await world.call('GET', `/products/${created.id}`);
    expect(read.body.version).toBe(created.version);
    expect(read.body.images).toEqual(created.images);
  });

  it('leaves public addresses and names to the processor, which checks what they resolve to', async () => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', {
      token,
      body: { ...product, imageUrls: ['https://93.184.215.14/a.jpg', 'https://cdn.example.com/b'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.images).toHaveLength(2);
  });
});

describe('an empty or blank price filter', () => {
  // z.coerce.number() reads "" as 0: `?maxPrice=` listed only free products instead of failing.
  it.each(['maxPrice=', 'minPrice=%20', 'maxPrice=abc'])('is refused with 400 (%s)', async (q) => {
    const res = await world.call('GET', `/products?${q}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.fields).toEqual({ [q.split('=')[0] as string]: ['must be a number'] });
  });

  it('is refused over tRPC too, while a number in a string still filters', async () => {
    const input = (value: unknown) =>
      `/trpc/products.list?input=${encodeURIComponent(JSON.stringify({ maxPrice: value }))}`;
    const blank = await world.call('GET', input(''));
    expect(blank.status).toBe(400);
    expect(blank.body.error.data.fields).toEqual({ maxPrice: ['must be a number'] });
    const token = await world.token(newSubject());
    await world.createProduct(token, { price: { amountMinor: 1500, currency: 'EUR' } });
    const rest = await world.call('GET', '/products?maxPrice=1500&minPrice=1500');
    expect(rest.status).toBe(200);
    expect(rest.body.items.length).toBeGreaterThan(0);
  });
});

describe('a JSON body whose bytes are not UTF-8', () => {
  // Decoded leniently, "Zq\xff\xfeg" became "Zq\ufffd\ufffdg" and was stored as such.
  const body = Buffer.concat([
    Buffer.from('{"name":"Zq'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('g","price":{"amountMinor":1999,"currency":"EUR"}}'),
  ]);

  it.each(['/products', '/trpc/products.create'])('is refused with 400 (%s)', async (path) => {
    const token = await world.token(newSubject());
    const res = await world.request(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'req-utf8',
      },
      body,
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as {
      error: { code: string | number; message: string; data?: { appCode: string } };
    };
    // REST's body carries the code; tRPC's carries it in data.appCode.
    expect(json.error.data?.appCode ?? json.error.code).toBe('BAD_REQUEST');
    expect(json.error.message).toBe('the body is not valid UTF-8');
    const list = await world.call('GET', '/products?name=Zq');
    expect(list.body.items).toEqual([]);
  });
});

describe('a REST body that is JSON but not an object', () => {
  // The REST handler spreads the body into the input object: `[null, null]` used to pass for `{}`
  // (and start a bulk preview of everything), a string for its indexes.
  it.each([['[null, null]'], ['"text"'], ['42'], ['null'], ['true']])(
    'is refused with 400 (%s)',
    async (body) => {
      const token = await world.token(newSubject('ops'), { roles: ['operator'] });
      for (const path of ['/bulk/preview', '/products']) {
        const res = await world.call('POST', path, { token, body });
        expect(res.status, path).toBe(400);
        expect(res.body.error.code, path).toBe('VALIDATION_FAILED');
        expect(res.body.error.fields, path).toEqual({ '(input)': ['must be a JSON object'] });
      }
    },
  );
});

describe('a tRPC request refused before it has a context', () => {
  it.each([
    ['an unsupported content type', { 'content-type': 'text/plain' }],
    ['no content type', {}],
  ])('answers %s with 415 as JSON, with its request id', async (_, headers) => {
    const token = await world.token(newSubject());
    const res = await world.request('/trpc/products.create', {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${token}`, 'x-request-id': 'req-415' },
      // Bytes, so that fetch adds no content type of its own.
      body: new TextEncoder().encode(JSON.stringify(product)),
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as {
      error: { data: { appCode: string; requestId: string | null } };
    };
    expect(body.error.data.appCode).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(body.error.data.requestId).toBe('req-415');
  });
});

describe('methods the routes do not expect', () => {
  it('answers PUT, DELETE and OPTIONS on /trpc with 405 and Allow, in tRPC’s shape', async () => {
    for (const method of ['PUT', 'DELETE', 'OPTIONS']) {
      const res = await world.call(method, '/trpc/products.list', {
        headers: { 'x-request-id': 'req-trpc-405' },
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST');
      expect(res.body.error.data.appCode).toBe('METHOD_NOT_ALLOWED');
      expect(res.body.error.data.requestId).toBe('req-trpc-405');
    }
  });

  it('answers HEAD on a REST read like its GET, without the body', async () => {
    const res = await fetch(`${world.baseUrl}/products`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe('');
  });
});

describe('headers over the size limit', () => {
  it('are answered 431 with the one error body, not a bare status line', async () => {
    const url = new URL(world.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `GET /products HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        );
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', (error) => (text === '' ? reject(error) : resolve(text)));
    });
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(body)).toEqual({
      error: { code: 'BAD_REQUEST', message: expect.any(String), requestId: expect.any(String) },
    });
  });
});

describe('the OpenAPI document says what the server does', () => {
  it('public reads: a token is optional, and reads without one succeed', async () => {
    for (const [path, method] of [
      ['/products', 'get'],
      ['/products/{id}', 'get'],
    ] as const) {
      const operation = await openApiOperation(path, method);
      expect(operation.security, path).toContainEqual({});
    }
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    expect((await world.call('GET', '/products')).status).toBe(200);
    expect((await world.call('GET', `/products/${created.id}`)).status).toBe(200);
    // A write still needs one.
    expect((await openApiOperation('/products', 'post')).security).toEqual([{ bearerAuth: [] }]);
  });

  it('a currency is one of the enumerated ISO 4217 codes, and another is refused', async () => {
    const list = await openApiOperation('/products', 'get');
    const currency = list.parameters?.find((p) => p.name === 'currency')?.schema;
    expect(currency?.enum).toContain('EUR');
    expect(currency?.enum).not.toContain('AAA');
    const res = await world.call('GET', '/products?currency=AAA');
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toEqual(['currency']);
  });

  it('a bulk body whose fields all have defaults may be left out, as the server accepts', async () => {
    const operation = await openApiOperation('/bulk/preview', 'post');
    expect(operation.requestBody?.required).toBe(false);
    const token = await world.token(newSubject('ops'), { roles: ['operator'] });
    const res = await world.call('POST', '/bulk/preview', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ total: expect.any(Number) });
    // A body with a required field stays required.
    expect((await openApiOperation('/products', 'post')).requestBody?.required).toBe(true);
  });

  it('a command a finished bulk job cannot take answers 409, which the document declares', async () => {
    const token = await world.token(newSubject('ops'), { roles: ['operator'] });
    const started = await world.call('POST', '/bulk/jobs', {
      token,
      body: { filter: { productIds: [randomUUID()] } },
    });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    // Nothing selected: the dispatcher finishes it at its next tick.
    const deadline = Date.now() + 20_000;
    let status = started.body.status as string;
    while (status !== 'completed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await world.call('GET', `/bulk/jobs/${id}`, { token })).body.status;
    }
    expect(status).toBe('completed');
    for (const verb of ['pause', 'resume', 'cancel']) {
      const res = await world.call('POST', `/bulk/jobs/${id}/${verb}`, { token });
      expect(res.status, verb).toBe(409);
      expect(res.body.error.code).toBe('CONFLICT');
      const operation = await openApiOperation(`/bulk/jobs/{id}/${verb}`, 'post');
      expect(Object.keys(operation.responses), verb).toContain('409');
    }
  });

  it('a presigned upload states its size limit, and a larger one answers 413', async () => {
    const operation = await openApiOperation('/products/{productId}/uploads', 'post');
    const schema = operation.requestBody?.content['application/json']?.schema;
    expect(schema?.properties?.contentLength?.maximum).toBe(world.config.uploads.maxFileBytes);
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    const res = await world.call('POST', `/products/${created.id}/uploads`, {
      token,
      body: { contentType: 'image/png', contentLength: world.config.uploads.maxFileBytes + 1 },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a multipart upload needs at least one file and at most the configured number', async () => {
    const operation = await openApiOperation('/products/{id}/images', 'post');
    const files = operation.requestBody?.content['multipart/form-data']?.schema?.properties?.files;
    expect(files?.minItems).toBe(1);
    expect(files?.maxItems).toBe(world.config.uploads.maxFiles);
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    const res = await world.request(`/products/${created.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new FormData(),
    });
    expect(res.status).toBe(400);
  });
});
