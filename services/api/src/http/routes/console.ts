import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Hono } from 'hono';
import { errorResponse } from '../errors.js';
import type { HttpEnv } from '../middleware.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names what it emits under assets/ by content hash: a name never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and other unhashed files are revalidated on every load, so a deploy shows at once. */
const REVALIDATE = 'no-cache';

/**
 * The page's own rules: scripts and styles only from here; images also from the object store (any
 * origin: the variant base URL is deployment configuration) and as blob:/data: (thumbhash and
 * private originals); fetches to here and to presigned upload URLs.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: http: https:",
  "connect-src 'self' http: https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built console at /console: hashed assets cached for a year, everything else
 * revalidated, and any other path under /console answered with index.html (the page routes it).
 * A missing asset is a 404, never HTML. Without a build, /console says how to make one.
 */
export function mountConsole(app: Hono<HttpEnv>, dir: string): void {
  const root = resolve(dir);
  const indexFile = join(root, 'index.html');

  const send = async (file: string, cacheControl: string) => {
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': cacheControl,
    };
    if (file === indexFile) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    return new Response(await readFile(file), { status: 200, headers });
  };

  const isFile = async (file: string) => {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  };

  app.get('/console', (c) => c.redirect('/console/', 301));
  app.on(['GET', 'HEAD'], '/console/*', async (c) => {
    if (!existsSync(indexFile)) {
      return errorResponse(
        c,
        'NOT_FOUND',
        `the console is not built (no ${indexFile}): run npm run build -w @zocket/console`,
      );
    }
    let relative: string;
    try {
      relative = decodeURIComponent(c.req.path.slice('/console/'.length));
    } catch {
      return errorResponse(c, 'BAD_REQUEST', 'malformed path');
    }
    const file = resolve(root, relative);
    if (file !== root && !file.startsWith(root + sep)) {
      return errorResponse(c, 'NOT_FOUND', `no route for GET ${c.req.path}`);
    }
    if (relative !== '' && (await isFile(file))) {
      return send(file, relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
    }
    // A file-like path (assets, favicon.ico) that is not there is a 404; a page path is the SPA.
    if (relative.startsWith('assets/') || extname(relative) !== '') {
      return errorResponse(c, 'NOT_FOUND', `no file ${c.req.path}`);
    }
    return send(indexFile, REVALIDATE);
  });
}
