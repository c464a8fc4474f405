export type { AppRouter } from './trpc/app.router.js';
export { envSchema as apiEnvSchema } from './config.js';
