import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API serves the built files at /console; in `npm run dev` Vite proxies the API calls to it.
const api = process.env.ZOCKET_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: true },
  server: {
    port: 5173,
    proxy: { '/trpc': api, '/dev': api, '/products': api },
  },
});
