import { createServer, type Server } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, expectNoStack, newSubject } from './api-world.js';

/** The API configured with AUTH_JWKS_URL, against a loopback identity provider's key set. */
describe('bearer tokens verified against a JWKS URL', () => {
  let world: ApiWorld;
  let jwksServer: Server;
  let jwksAnswers: 'keys' | 'error' = 'error';
  let jwksRequests = 0;
  const issuer = 'https://id.example.com/';
  const audience = 'zocket-api';
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      jwksRequests += 1;
      if (jwksAnswers === 'error') return void res.writeHead(502).end('bad gateway');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const address = jwksServer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    world = await createApiWorld({
      env: {
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: audience,
      },
    });
  });

  afterAll(async () => {
    await world?.close();
    await new Promise<void>((resolve) =>
      jwksServer ? jwksServer.close(() => resolve()) : resolve(),
    );
  });

  const now = () => Math.floor(Date.now() / 1000);
  const sign = (
    key: CryptoKey,
    kid: string,
    claims: { exp?: number; nbf?: number } = {},
  ): Promise<string> => {
    let jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(newSubject('jwks'))
      .setExpirationTime(claims.exp ?? now() + 600);
    if (claims.nbf !== undefined) jwt = jwt.setNotBefore(claims.nbf);
    return jwt.sign(key);
  };
  const create = (token: string) =>
    world.call('POST', '/products', {
      token,
      body: { name: 'JWKS', price: { amountMinor: 100, currency: 'EUR' } },
    });

  // First, while the key set cannot be loaded: jose caches a key set once it has one.
  it('answers 503, not 401, while the JWKS endpoint fails', async () => {
    const res = await create(await sign(signingKey, 'key-1'));
    expect(jwksRequests).toBeGreaterThan(0);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('UNAVAILABLE');
    expectNoStack(res.body);
  });

  it('accepts a token signed with a key from the set once the endpoint answers', async () => {
    jwksAnswers = 'keys';
    const res = await create(await sign(signingKey, 'key-1'));
    expect(res.status).toBe(200);
  });

  it('refuses a token signed with a key outside the set with 401', async () => {
    for (const token of [await sign(strangerKey, 'key-1'), await sign(strangerKey, 'key-2')]) {
      const res = await create(token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
  });

  it('refuses an HS256 token, whatever its secret, when keys come from a JWKS', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(newSubject('hs'))
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode('zocket-local-development-secret-change-me'));
    expect((await create(token)).status).toBe(401);
  });

  it('allows 30 s of clock skew, and no more', async () => {
    expect((await create(await sign(signingKey, 'key-1', { nbf: now() + 10 }))).status).toBe(200);
    expect((await create(await sign(signingKey, 'key-1', { exp: now() - 10 }))).status).toBe(200);
    expect((await create(await sign(signingKey, 'key-1', { nbf: now() + 120 }))).status).toBe(401);
    expect((await create(await sign(signingKey, 'key-1', { exp: now() - 120 }))).status).toBe(401);
  });
});
