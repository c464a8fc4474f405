// The ceiling for the API benchmark: a bare Hono route answering the same product JSON from
// memory. Run as its own process: node dist/ceiling-server.js <product.json> <port>
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const [bodyFile, port] = process.argv.slice(2);
const product: unknown = JSON.parse(readFileSync(bodyFile as string, 'utf8'));
const app = new Hono();
app.get('/products/:id', (c) => c.json(product as object));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) }, () => {
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => process.exit(0));
