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

/**
 * The variables both services read, with defaults that work with infra/local. A service spreads
 * this shape into its own schema and adds its own variables.
 */
export const sharedEnvShape = {
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().default('postgres://zocket:zocket@127.0.0.1:5432/zocket'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  CACHE_KEY_PREFIX: z.string().min(1).default('zocket'),
  KAFKA_BROKERS: envCsv.default(['127.0.0.1:9092']),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  S3_ENDPOINT: z.string().default('http://127.0.0.1:9000'),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().default('zocket'),
  S3_SECRET_ACCESS_KEY: z.string().default('zocketsecret'),
  S3_BUCKET: z.string().default('zocket'),
  S3_FORCE_PATH_STYLE: envBool.default(true),
};

type SharedEnv = z.output<z.ZodObject<typeof sharedEnvShape>>;

/** The S3 settings both services read, from an environment parsed with `sharedEnvShape`. */
export function s3Settings(e: SharedEnv) {
  return {
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    accessKeyId: e.S3_ACCESS_KEY_ID,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    bucket: e.S3_BUCKET,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}

/**
 * Runs `load` (a service's `loadConfig`); on a configuration error prints one line naming the bad
 * variables on stderr and exits 1, so a container's log says what to set instead of a stack trace.
 */
export function loadConfigOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith('invalid configuration')) throw error;
    process.stderr.write(`${service}: ${oneLine(message)}\n`);
    process.exit(1);
  }
}

/** "invalid configuration:\n✖ A\n  → at X" -> "invalid configuration: A (at X)". */
export function oneLine(message: string): string {
  const [head = '', ...rest] = message.split('\n');
  const parts: string[] = [];
  for (const raw of rest) {
    const line = raw.trim();
    if (line.startsWith('→')) parts[parts.length - 1] += ` (${line.slice(1).trim()})`;
    else if (line !== '') parts.push(line.replace(/^✖\s*/, ''));
  }
  return parts.length === 0 ? head : `${head.replace(/:$/, '')}: ${parts.join('; ')}`;
}
