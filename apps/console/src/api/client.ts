import { createZocketClient, type ZocketClient } from '@zocket/client';

/** The API is the page's own origin: it serves the console (and Vite proxies to it in dev). */
export const apiOrigin = (): string => window.location.origin;

/** The typed client of @zocket/client, sending the signed-in seller's token when there is one. */
export function createApiClient(token: () => string | null): ZocketClient {
  return createZocketClient({ url: apiOrigin(), getToken: token });
}

export type ApiClient = ZocketClient;
