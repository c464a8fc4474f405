import { z } from 'zod';

/* Building blocks for the services' `loadConfig(env)`: environment variables are strings. */

/** A boolean variable: only "true", "1", "false" or "0". */
export const envBool = z
  .enum(['true', '1', 'false', '0'], { error: 'must be one of true, 1, false, 0' })
  .transform((v) => v === 'true' || v === '1');

/** An integer variable of at least `min`. */
export const envInt = (min: number) => z.coerce.number().int().min(min);

/** A comma-separated list; blanks are dropped. */
export const envCsv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

/** Parses the environment with a schema; a failure names every bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
