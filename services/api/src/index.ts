export { signDevToken } from './auth/sign-token.js';
export { envSchema as apiEnvSchema } from './config.js';
export { API_NODE_FLAGS } from './node-flags.js';
export type { AppRouter } from './trpc/app.router.js';
