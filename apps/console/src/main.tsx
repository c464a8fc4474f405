import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api/api-context';
import { createApiClient } from './api/client';
import { describeProblem } from './api/errors';
import { App } from './app';
import { createSessionHolder, SessionProvider } from './auth/session-context';
import { RouterProvider } from './ui/router';
import './styles.css';

const holder = createSessionHolder();
const client = createApiClient(() => holder.get()?.token ?? null);
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // Retrying a 404 or a refused token only delays the message; an outage is worth retrying.
      retry: (failures, error) => {
        const kind = describeProblem(error).kind;
        return (kind === 'offline' || kind === 'unavailable') && failures < 3;
      },
    },
  },
});

const root = document.getElementById('root');
if (root === null) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider holder={holder}>
        <ApiProvider client={client}>
          <RouterProvider>
            <App />
          </RouterProvider>
        </ApiProvider>
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
