/**
 * Builds the web console (console/) into dist/console/, which the console listener serves as
 * static files with an SPA fallback. Preact through esbuild's automatic JSX runtime: no Babel and
 * no framework plugin, so the build needs only vite and preact. Everything is bundled: the page
 * loads nothing from another origin (no CDN, no web fonts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The bundle is small (Preact is ~4 kB); one file keeps the static serving trivial.
    chunkSizeWarningLimit: 400,
  },
});
