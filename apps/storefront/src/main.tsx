import { createZocketClient } from '@zocket/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { ClientContext } from './client-context';
import './styles.css';

// Anonymous: the catalogue's reads and live image status are public. The API is this origin.
const client = createZocketClient({ url: window.location.origin });

const root = document.getElementById('root');
if (root === null) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <ClientContext.Provider value={client}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
);
