import { AppError } from '@zocket/contracts';
import type { Hono } from 'hono';
import { z } from 'zod';
import { signDevToken } from '../../auth/sign-token.js';
import type { ApiConfig } from '../../config.js';
import type { HttpEnv } from '../middleware.js';

const devTokenInput = z.object({
  subject: z.string().trim().min(1, { error: 'must not be empty' }).max(200),
  operator: z.boolean().optional(),
});

/** Development tokens live one hour, like `npm run token`. */
const TTL_SECONDS = 3600;

/**
 * `POST /dev/token {subject, operator?}` -> `{token}`: the console's "sign in as". Mounted only
 * when `config.auth.devTokens` (outside production, HS256 secret), so elsewhere it is a 404.
 */
export function mountDevToken(app: Hono<HttpEnv>, auth: ApiConfig['auth']): void {
  const secret = auth.jwtSecret;
  if (!auth.devTokens || secret === undefined) return;
  app.post('/dev/token', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new AppError(
        'BAD_REQUEST',
        'expected a JSON body {"subject": "...", "operator": false}',
      );
    }
    const parsed = devTokenInput.safeParse(body);
    if (!parsed.success) {
      const fields: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String).join('.') || '(input)';
        fields[path] = [...(fields[path] ?? []), issue.message];
      }
      throw new AppError('VALIDATION_FAILED', 'invalid input', { fields });
    }
    const token = await signDevToken({
      secret,
      issuer: auth.issuer,
      audience: auth.audience,
      subject: parsed.data.subject,
      ...(parsed.data.operator === true ? { roles: ['operator'] } : {}),
      ttlSeconds: TTL_SECONDS,
    });
    return c.json({ token });
  });
}
