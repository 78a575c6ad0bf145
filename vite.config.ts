// The Mini App build (`npm run build` → dist/) and its dev server. The Vitest projects are in
// vitest.config.ts; its miniapp project extends this file for the React and Tailwind plugins.
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'miniapp',
  publicDir: '../public',
  plugins: [react(), tailwindcss()],
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1', port: 5173 },
});
