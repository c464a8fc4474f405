import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API serves the built files at /shop; in `vite` dev the API calls are proxied to it.
const api = process.env.ZOCKET_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/shop/',
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: true },
  server: { port: 5174, proxy: { '/trpc': api } },
});
