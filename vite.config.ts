import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
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
    // After inlineEntry (also 'post', listed before this one): the inlined chunk is not a file.
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
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
    },
  };
}

/**
 * Puts the entry chunk (main.tsx: the camera, the socket, the join) into index.html as an inline
 * module script, so it runs as soon as the page is parsed instead of after a second request
 * (issue 11: 70-170 ms of the joining page's time to first frame). The server allows exactly this
 * script by its SHA-256 hash (src/server/http/security-headers.ts); 'unsafe-inline' is never used.
 * The UI's chunk is still loaded with import(), which then needs an absolute path (an inline
 * script resolves against the page's URL), and it must not import the entry: that would load and
 * run main.tsx a second time, as a file.
 */
function inlineEntry(): Plugin {
  return {
    name: 'homecall-inline-entry',
    apply: 'build',
    enforce: 'post',
    // After Vite's own post-processing of the chunks (it fills in the UI chunk's preload list).
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        const html = bundle['index.html'];
        if (html?.type !== 'asset' || typeof html.source !== 'string') this.error('index.html was not built');
        const entry = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'index');
        if (entry?.type !== 'chunk') this.error('the entry chunk was not built');
        for (const c of Object.values(bundle)) {
          if (
            c.type === 'chunk' &&
            c !== entry &&
            (c.imports.includes(entry.fileName) || c.dynamicImports.includes(entry.fileName))
          ) {
            this.error(
              `${c.fileName} imports the entry chunk, which is inline in index.html: move what it shares out of main.tsx's modules`,
            );
          }
        }
        let code = entry.code;
        for (const dyn of entry.dynamicImports) {
          const relative = new RegExp(`(["'\`])\\./${basename(dyn).replaceAll('.', '\\.')}\\1`, 'g');
          const found = code.match(relative)?.length ?? 0;
          if (found !== 1) this.error(`expected one import() of ./${basename(dyn)} in the entry, found ${found}`);
          code = code.replace(relative, (_m, q: string) => `${q}/${dyn}${q}`);
        }
        // The HTML parser would end the script early at either; there is no escaping inside <script>.
        if (/<\/script|<!--/i.test(code)) this.error('the entry chunk contains </script or <!--: it cannot be inlined');
        const tag = new RegExp(
          `<script type="module" crossorigin src="/${entry.fileName.replaceAll('.', '\\.')}"></script>`,
        );
        if (!tag.test(html.source)) this.error('index.html does not load the entry chunk as expected');
        html.source = html.source.replace(tag, () => `<script type="module">${code.trimEnd()}</script>`);
        delete bundle[entry.fileName];
      },
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  publicDir,
  // inlineEntry first: the precache list is written from the bundle without the inlined chunk.
  plugins: [preact(), inlineEntry(), precacheManifest()],
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
