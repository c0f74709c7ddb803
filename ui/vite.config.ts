import { defineConfig } from 'vite';

// Built into ui/dist, which Tauri embeds: relative paths, no CDN, nothing
// fetched at run time. Tests run in happy-dom (vitest).
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  // The catalogs live in ../locales, shared with the core.
  server: { fs: { allow: ['..'] } },
  test: { environment: 'happy-dom', include: ['test/**/*.test.ts'] },
});
