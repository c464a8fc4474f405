import { Hono } from 'hono';
import type { ApiContext } from '../../api-context.js';
import { filesFromForm, parseProductId, uploadImages } from '../../products/products.service.js';
import { errorResponse } from '../errors.js';
import { type HttpEnv, isMultipart } from '../middleware.js';
import { createRequestContext } from '../request-context.js';

/** `POST /products/:id/images`: multipart image files, one job per image. */
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

  return routes;
}
