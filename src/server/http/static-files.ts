import { createReadStream, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { applySecurityHeaders, pagePolicy } from './security-headers.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

/** Vite puts content-hashed names under /assets/: they never change, so caches may keep them. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html, sw.js, the manifest) must be revalidated, or updates never arrive. */
const REVALIDATE = 'no-cache';

// No inline script or style: the CSP would refuse them.
const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>HomeCall</title></head>
<body>
<h1>HomeCall</h1>
<p>The server is running, but the web client is not built yet. Run <code>npm run build</code>, then reload this page.</p>
<p lang="ru">Сервер работает, но веб-клиент ещё не собран. Выполните <code>npm run build</code> и обновите страницу.</p>
</body>
</html>
`;

/**
 * Where the built client lives: `dist/web` beside `dist/server` when running compiled, and
 * `<repo>/dist/web` when running the sources through tsx (never `src/web`, the sources).
 */
export function defaultWebRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const compiled = here.endsWith(`${sep}dist${sep}server${sep}http${sep}`);
  return fileURLToPath(new URL(compiled ? '../../web/' : '../../../dist/web/', import.meta.url));
}

export interface StaticFilesOptions {
  /** Absolute directory of the built client; default: defaultWebRoot(). */
  root?: string;
}

/** A file of the build held in memory. */
interface CachedFile {
  body: Buffer;
  etag: string;
  type: string;
  /** An HTML page's own policy: its inline scripts allowed by hash (pagePolicy). */
  csp?: string;
}

const isHtml = (name: string): boolean => extname(name).toLowerCase() === '.html';

/** The whole build is about 100 KiB; a tree far beyond that is not cached. */
const MAX_CACHE_BYTES = 32 * 1024 * 1024;

const etagOf = (stats: Pick<Stats, 'size' | 'mtimeMs'>): string =>
  `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;

/**
 * Reads the built client into memory once, at start: a page load is then served without a
 * file-system call (the benchmark saw 50-230 ms to the first byte of the page with ~5 thread-pool
 * calls per request). The build is served as it was at start, consistently; restart the server
 * after rebuilding. Files that appear later are still served from disk.
 */
function loadBuild(root: string): Map<string, CachedFile> {
  const files = new Map<string, CachedFile>();
  let total = 0;
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile() && total + stats.size <= MAX_CACHE_BYTES) {
        total += stats.size;
        const type = CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
        const body = readFileSync(path);
        const file: CachedFile = { body, etag: etagOf(stats), type };
        if (isHtml(name)) file.csp = pagePolicy(body.toString('utf8'));
        files.set(relative(root, path).split(sep).join('/'), file);
      }
    }
  };
  walk(root);
  return files;
}

/**
 * Serves the built client for GET/HEAD: files by path (no traversal, no dotfiles), and
 * index.html for any page route (a path without an extension, such as `/?session=...`).
 * Until the client is built, page routes get a short placeholder page.
 */
export function createStaticFiles(options: StaticFilesOptions = {}): RequestHandler {
  const root = options.root ?? defaultWebRoot();
  const rootPrefix = root.endsWith(sep) ? root : `${root}${sep}`;
  const build = loadBuild(root);

  return async (req, res) => {
    const rawPath = (req.url ?? '/').split('?', 1)[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return sendText(res, req, 400, 'Bad request');
    }
    if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) {
      return sendText(res, req, 400, 'Bad request');
    }
    const segments = path.split('/').filter((s) => s.length > 0);
    // `..` would leave the root; dotfiles are never part of a build.
    if (segments.some((s) => s.startsWith('.'))) return sendText(res, req, 404, 'Not found');
    const file = join(rootPrefix, ...segments);
    if (!file.startsWith(rootPrefix)) return sendText(res, req, 404, 'Not found');

    const cached = build.get(segments.join('/'));
    if (cached) return sendCached(req, res, cached, cacheControlFor(segments));
    const found = await statFile(file);
    if (found) return sendFile(req, res, file, found, cacheControlFor(segments));
    const last = segments.at(-1) ?? '';
    if (extname(last) !== '') return sendText(res, req, 404, 'Not found');

    const cachedIndex = build.get('index.html');
    if (cachedIndex) return sendCached(req, res, cachedIndex, REVALIDATE);
    const indexFile = join(rootPrefix, 'index.html');
    const index = await statFile(indexFile);
    if (index) return sendFile(req, res, indexFile, index, REVALIDATE);
    applySecurityHeaders(res);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES['.html'],
      'Content-Length': Buffer.byteLength(PLACEHOLDER_PAGE),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER_PAGE);
  };
}

function cacheControlFor(segments: readonly string[]): string {
  return segments[0] === 'assets' && segments.length > 1 ? IMMUTABLE : REVALIDATE;
}

async function statFile(file: string): Promise<Stats | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

function sendCached(req: IncomingMessage, res: ServerResponse, file: CachedFile, cacheControl: string): void {
  applySecurityHeaders(res, file.csp);
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', file.etag);
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  stats: Stats,
  cacheControl: string,
): Promise<void> {
  const etag = etagOf(stats);
  // A page needs its own policy, from its whole text (an HTML file that appeared after start).
  if (isHtml(file)) {
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendText(res, req, 404, 'Not found');
    }
    const type = CONTENT_TYPES['.html'] as string;
    return sendCached(req, res, { body, etag, type, csp: pagePolicy(body.toString('utf8')) }, cacheControl);
  }
  applySecurityHeaders(res);
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': stats.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file), res);
  } catch {
    // The client went away, or the file vanished mid-read (a rebuild): nothing to repair.
    res.destroy();
  }
}

/** A short plain-text reply with the security headers. */
export function sendText(res: ServerResponse, req: IncomingMessage, status: number, text: string): void {
  applySecurityHeaders(res);
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}
