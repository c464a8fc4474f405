import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
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

/** Text worth compressing: scripts, styles, pages, source maps. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.map', '.json', '.svg', '.txt']);
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

type Encoding = 'br' | 'gzip';

/** The best encoding the request accepts (q=0 refuses one). */
function acceptedEncoding(header: string | undefined): Encoding | undefined {
  if (header === undefined) return undefined;
  const accepted = new Set<string>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name !== undefined && (q === undefined || Number(q.slice(2)) > 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}

/**
 * Compressed copies of the built files, made once per file and version: the build never changes
 * while the API runs except on a redeploy, which the modification time tells apart.
 */
function compressedFiles() {
  const cache = new Map<string, Promise<Buffer>>();
  return (file: string, mtimeMs: number, body: Buffer, encoding: Encoding): Promise<Buffer> => {
    const key = `${encoding}:${mtimeMs}:${file}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      entry =
        encoding === 'br'
          ? brotli(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } })
          : gzipAsync(body, { level: 9 });
      cache.set(key, entry);
      // A failed compression is tried again on the next request rather than remembered.
      entry.catch(() => cache.delete(key));
    }
    return entry;
  };
}

/** A built single-page app served under a path of the API. */
export interface StaticApp {
  /** `/console`, `/shop`. */
  base: string;
  /** The build (Vite's `dist`). */
  dir: string;
  /** The workspace whose build it is, for the message when there is none. */
  workspace: string;
}

/**
 * Serves a built single-page app under `base`: hashed assets cached for a year, everything else
 * revalidated, and any other path under `base` answered with index.html (the page routes it).
 * Text is sent compressed (brotli or gzip) when the browser accepts it. A missing asset is a 404,
 * never HTML. Without a build, the page says how to make one.
 */
export function mountStaticApp(app: Hono<HttpEnv>, spa: StaticApp): void {
  const root = resolve(spa.dir);
  const indexFile = join(root, 'index.html');
  const compressed = compressedFiles();

  const send = async (file: string, cacheControl: string, acceptEncoding: string | undefined) => {
    const extension = extname(file);
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      'Cache-Control': cacheControl,
    };
    if (file === indexFile) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    const [body, info] = await Promise.all([readFile(file), stat(file)]);
    if (!COMPRESSIBLE.has(extension)) return new Response(body, { status: 200, headers });
    headers.Vary = 'Accept-Encoding';
    const encoding = acceptedEncoding(acceptEncoding);
    if (encoding === undefined) return new Response(body, { status: 200, headers });
    headers['Content-Encoding'] = encoding;
    return new Response(await compressed(file, info.mtimeMs, body, encoding), {
      status: 200,
      headers,
    });
  };

  const isFile = async (file: string) => {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  };

  const prefix = `${spa.base}/`;
  app.get(spa.base, (c) => c.redirect(prefix, 301));
  app.on(['GET', 'HEAD'], `${prefix}*`, async (c) => {
    if (!existsSync(indexFile)) {
      return errorResponse(
        c,
        'NOT_FOUND',
        `${spa.base} is not built (no ${indexFile}): run npm run build -w ${spa.workspace}`,
      );
    }
    let relative: string;
    try {
      relative = decodeURIComponent(c.req.path.slice(prefix.length));
    } catch {
      return errorResponse(c, 'BAD_REQUEST', 'malformed path');
    }
    const file = resolve(root, relative);
    if (file !== root && !file.startsWith(root + sep)) {
      return errorResponse(c, 'NOT_FOUND', `no route for GET ${c.req.path}`);
    }
    const acceptEncoding = c.req.header('accept-encoding');
    if (relative !== '' && (await isFile(file))) {
      return send(file, relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE, acceptEncoding);
    }
    // A file-like path (assets, favicon.ico) that is not there is a 404; a page path is the SPA.
    if (relative.startsWith('assets/') || extname(relative) !== '') {
      return errorResponse(c, 'NOT_FOUND', `no file ${c.req.path}`);
    }
    return send(indexFile, REVALIDATE, acceptEncoding);
  });
}

/** The console at /console. */
export function mountConsole(app: Hono<HttpEnv>, dir: string): void {
  mountStaticApp(app, { base: '/console', dir, workspace: '@zocket/console' });
}

/** The public storefront at /shop. */
export function mountStorefront(app: Hono<HttpEnv>, dir: string): void {
  mountStaticApp(app, { base: '/shop', dir, workspace: '@zocket/storefront' });
}
