import { Hono } from 'hono';
import type { ApiContext } from '../api-context.js';
import { errorResponse } from '../http/errors.js';
import { type HttpEnv, isMultipart } from '../http/middleware.js';
import { createRequestContext } from '../http/request-context.js';
import { readUploadedOriginal } from '../products/originals.js';
import { filesFromForm, parseProductId, uploadImages } from './multipart.service.js';

/**
 * `POST /products/:id/images`: multipart image files, one job per image; and
 * `GET /products/:id/images/:imageId/original`: an uploaded original, to its owner only.
 */
export function uploadRoutes(ctx: ApiContext) {
  const routes = new Hono<HttpEnv>();

  routes.post('/products/:id/images', async (c) => {
    const requestCtx = createRequestContext(ctx, c.req.header('authorization'), c.get('requestId'));
    const user = await requestCtx.user();
    if (user === null) return errorResponse(c, 'UNAUTHORIZED', 'a bearer token is required');
    if (!isMultipart(c.req.header('content-type'))) {
      return errorResponse(
        c,
        'UNSUPPORTED_MEDIA_TYPE',
        'expected multipart/form-data with field "files"',
      );
    }
    const id = c.req.param('id');
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      return errorResponse(c, 'BAD_REQUEST', 'malformed multipart body');
    }
    const product = await uploadImages(
      ctx,
      { user, requestId: c.get('requestId') },
      parseProductId(id),
      await filesFromForm(form),
    );
    return c.json(product);
  });

  routes.get('/products/:id/images/:imageId/original', async (c) => {
    const requestCtx = createRequestContext(ctx, c.req.header('authorization'), c.get('requestId'));
    const user = await requestCtx.user();
    if (user === null) return errorResponse(c, 'UNAUTHORIZED', 'a bearer token is required');
    const original = await readUploadedOriginal(
      ctx,
      { user, requestId: c.get('requestId') },
      c.req.param('id'),
      c.req.param('imageId'),
    );
    return new Response(original.body, {
      headers: {
        'Content-Type': original.contentType,
        ...(original.bytes === undefined ? {} : { 'Content-Length': String(original.bytes) }),
        // Owner-only bytes: the browser may keep them, shared caches may not.
        'Cache-Control': 'private, max-age=3600',
      },
    });
  });

  return routes;
}
