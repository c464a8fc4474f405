import { ERROR_CODES } from '@zocket/contracts';
import { generateOpenApiDocument, type OpenApiRouter } from 'trpc-to-openapi';

type Document = ReturnType<typeof generateOpenApiDocument>;

/** The one error body every status >= 400 carries (see errors.ts). */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: [...ERROR_CODES] },
        message: { type: 'string' },
        requestId: { type: 'string' },
        fields: {
          type: 'object',
          description:
            'Per-field messages, e.g. `{ "price.amountMinor": ["must not be negative"] }`',
          additionalProperties: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid input (VALIDATION_FAILED, with `fields`) or a malformed request (BAD_REQUEST)',
  '401': 'Missing, invalid or expired bearer token',
  '403': 'The caller lacks the role the operation needs (bulk jobs: `operator`)',
  '404': 'No such product, upload or bulk job of yours',
  '409':
    'A conflict: a stale expectedVersion, another bulk job already active, or a bulk command its job cannot take in its status',
  '413': 'The request body is over the size limit',
  '415': 'The request body is not of the expected content type',
  '429': 'Too many open subscriptions or pending uploads for this caller',
  '500': 'Internal error (never with details)',
  '503': 'A dependency (database, token keys) is unavailable; retry later',
};

/** The error statuses an operation can answer, from what the server does for it. */
function errorStatuses(method: string, path: string): string[] {
  const statuses = ['400', '401'];
  // Bulk jobs are for operators only.
  if (path.startsWith('/bulk')) statuses.push('403');
  if (/\{[^}]+\}/.test(path)) statuses.push('404');
  if (method === 'patch' || (method === 'post' && path.startsWith('/bulk/jobs'))) {
    statuses.push('409');
  }
  // Every request that may carry a body is held to a size limit and to a content type.
  if (method !== 'get') statuses.push('413', '415');
  // A seller's presigned uploads waiting for completion are bounded.
  if (method === 'post' && /^\/products\/\{[^}]+\}\/uploads$/.test(path)) statuses.push('429');
  statuses.push('500', '503');
  return statuses;
}

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
};
type JsonSchema = { required?: string[]; properties?: Record<string, JsonSchema> } & Record<
  string,
  unknown
>;

const operations = (document: Document) =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(
      ([method, operation]) => [path, method, operation] as const,
    ),
  );

/**
 * What the server does that the generator cannot see: a public read takes a token but needs
 * none (an invalid one is still refused with 401); an empty body is read as `{}` by the REST
 * twin, so a body whose fields all have defaults may be left out.
 */
function withServerBehaviour(document: Document): Document {
  for (const [, , op] of operations(document)) {
    if (op.security === undefined) op.security = [{}, { bearerAuth: [] }];
    const body = op.requestBody?.content?.['application/json']?.schema;
    if (op.requestBody !== undefined && body !== undefined && (body.required ?? []).length === 0) {
      op.requestBody.required = false;
    }
  }
  return document;
}

/** Limits set by configuration, so the document states the ones this server enforces. */
export interface DocumentLimits {
  /** `UPLOAD_MAX_FILE_BYTES`: the largest image a presigned upload may declare. */
  maxFileBytes: number;
  /** `UPLOAD_MAX_FILES`: files per multipart upload. */
  maxFiles: number;
}

function withLimits(document: Document, limits: DocumentLimits): Document {
  const upload = (document.paths?.['/products/{productId}/uploads']?.post as Operation | undefined)
    ?.requestBody?.content?.['application/json']?.schema;
  const contentLength = upload?.properties?.contentLength;
  if (contentLength !== undefined) contentLength.maximum = limits.maxFileBytes;
  return document;
}

/**
 * Replaces the generator's error responses (`{ message, code, issues }`, which the API never
 * sends) with the real body, for every status the API can answer.
 */
function withRealErrors(document: Document): Document {
  const schemas: Record<string, unknown> = { ...document.components?.schemas };
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  schemas.Error = ERROR_SCHEMA;
  const errorResponse = (status: string) => ({
    description: ERROR_DESCRIPTIONS[status] ?? 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
      const op = operation as { responses?: Record<string, unknown> };
      if (op.responses === undefined) continue;
      const ok = op.responses['200'];
      op.responses = { ...(ok === undefined ? {} : { '200': ok }) };
      for (const status of errorStatuses(method, path))
        op.responses[status] = errorResponse(status);
    }
  }
  return {
    ...document,
    components: { ...document.components, schemas: schemas as never },
  };
}

/**
 * The OpenAPI 3 document: generated from the procedures' `openapi` meta and zod schemas (the
 * routes of route-table.ts), plus the multipart upload.
 */
export function buildOpenApiDocument(
  router: OpenApiRouter,
  baseUrl: string,
  limits: DocumentLimits,
) {
  const document = generateOpenApiDocument(router, {
    title: 'Zocket product catalogue API',
    version: '0.1.0',
    baseUrl,
    description:
      'REST twin of the tRPC router at /trpc. Errors: `{ "error": { "code", "message", "requestId", "fields"? } }`; a method a path does not support answers 405 METHOD_NOT_ALLOWED with `Allow`.',
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
                  files: {
                    type: 'array',
                    items: { type: 'string', format: 'binary' },
                    minItems: 1,
                    maxItems: limits.maxFiles,
                  },
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
        },
      },
    },
  };
  return withRealErrors(withLimits(withServerBehaviour(document), limits));
}
