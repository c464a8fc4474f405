import { generateOpenApiDocument } from 'trpc-to-openapi';
import { appRouter } from '../trpc/app.router.js';

/** The OpenAPI 3 document: generated from the procedures' zod schemas, plus the multipart upload. */
export function buildOpenApiDocument(baseUrl: string) {
  const document = generateOpenApiDocument(appRouter, {
    title: 'Zocket product catalogue API',
    version: '0.1.0',
    baseUrl,
    description:
      'REST twin of the tRPC router at /trpc. Errors: `{ "error": { "code", "message", "requestId", "fields"? } }`.',
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  });
  const productRef = (
    document.paths?.['/products/{id}']?.get?.responses?.['200'] as {
      content?: Record<string, unknown>;
    }
  )?.content;
  document.paths = {
    ...document.paths,
    '/products/{id}/images': {
      post: {
        operationId: 'products-uploadImages',
        summary: 'Upload image files (multipart field `files`, repeatable); one job per image',
        tags: ['products'],
        security: [{ bearerAuth: [] }],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  files: { type: 'array', items: { type: 'string', format: 'binary' } },
                },
                required: ['files'],
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The product with the new pending images',
            ...(productRef ? { content: productRef } : {}),
          },
          '401': { description: 'Missing or invalid token' },
          '404': { description: 'No such product of yours' },
          '413': { description: 'A file or the request is over the size limit' },
          '415': { description: 'A file is not a jpeg, png, webp, avif, gif or tiff image' },
        },
      },
    },
  };
  return document;
}
