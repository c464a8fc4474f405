export { signDevToken } from './auth/sign-token.js';
export type { AppRouter } from './trpc/app.router.js';
