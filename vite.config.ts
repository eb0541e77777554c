import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { type Plugin, defineConfig } from 'vite';

const root = resolve(import.meta.dirname, 'src/web');
const publicDir = resolve(root, 'public');

/** Files Vite copies from public/ as they are (manifest, icons): part of the shell too. */
function publicFiles(dir = publicDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? publicFiles(join(dir, e.name))
      : [`/${relative(publicDir, join(dir, e.name)).split('\\').join('/')}`],
  );
}
// The minifier may re-quote the string, so match either quote.
const PLACEHOLDER = /["'`]__PRECACHE_MANIFEST__["'`]/;
const VERSION_PLACEHOLDER = '__PRECACHE_VERSION__';

/**
 * Writes the precache list into sw.js from the finished bundle, so the service worker caches
 * exactly what this build produced (never a hand-kept list). The version is a hash of that list,
 * and every hashed file name changes with its content, so a new build means a new cache.
 */
function precacheManifest(): Plugin {
  return {
    name: 'homecall-precache-manifest',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const sw = bundle['sw.js'];
      if (sw?.type !== 'chunk') this.error('sw.js was not built');
      const files = Object.keys(bundle)
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map'))
        .map((f) => (f === 'index.html' ? '/' : `/${f}`))
        .concat(publicFiles())
        .sort();
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      if (!PLACEHOLDER.test(sw.code)) this.error('sw.js lost its precache placeholder');
      sw.code = sw.code.replace(PLACEHOLDER, () => JSON.stringify(files)).replaceAll(VERSION_PLACEHOLDER, version);
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  publicDir,
  plugins: [preact(), precacheManifest()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The polyfill would be an inline script, which the CSP refuses.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { index: resolve(root, 'index.html'), sw: resolve(root, 'pwa/sw.ts') },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});
