import type { ZocketClient } from '@zocket/client';
import { createContext, useContext } from 'react';

export const ClientContext = createContext<ZocketClient | null>(null);

export function useClient(): ZocketClient {
  const client = useContext(ClientContext);
  if (client === null) throw new Error('useClient outside ClientContext');
  return client;
}
