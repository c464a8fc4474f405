// The second API ceiling: a bare Hono route doing one ioredis GET of the same product bytes and
// answering them, with the API's cache client options. Its own process:
// node dist/redis-ceiling-server.js <product.json> <port> <redis url> <key>
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createCacheRedis, createLogger } from '@zocket/service-kit';
import { Hono } from 'hono';

const [bodyFile, port, redisUrl, key] = process.argv.slice(2) as [string, string, string, string];
const redis = createCacheRedis(redisUrl, createLogger('redis-ceiling', 'warn'), {
  autoPipelining: true,
});
await redis.connect();
await redis.set(key, readFileSync(bodyFile, 'utf8'), 'EX', 3600);
const app = new Hono();
app.get('/products/:id', async (c) => {
  const json = await redis.get(key);
  return json === null ? c.notFound() : c.body(json, 200, { 'content-type': 'application/json' });
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) }, () => {
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => process.exit(0));
