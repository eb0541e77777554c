import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, test } from 'node:test';
import { SECURITY_HEADERS } from './security-headers.js';
import { createStaticFiles, defaultWebRoot } from './static-files.js';

let dir: string;
let base: string;
let servers: Server[] = [];

function serve(root: string): Promise<string> {
  const handler = createStaticFiles({ root });
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      assert.ok(address && typeof address === 'object');
      resolve(`http://127.0.0.1:${address.port}`);
    });
  });
}

/** Sends the path exactly as written (fetch would normalise `..` away). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), body: text }));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'homecall-static-'));
  const root = join(dir, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET');
  writeFileSync(join(root, '.env'), 'DOTFILE-SECRET');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>HomeCall</title>');
  writeFileSync(join(root, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(root, 'manifest.webmanifest'), '{"name":"HomeCall"}');
  writeFileSync(join(root, 'assets', 'index-3f2a9c1b.js'), 'console.log(1);');
  writeFileSync(join(root, 'assets', 'index-3f2a9c1b.css'), 'body{}');
  base = await serve(root);
});

after(() => {
  for (const s of servers) s.close();
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

test('path traversal and dotfiles are refused', async () => {
  for (const path of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/.env',
    '/%2eenv',
    '/index.html%00.js',
    '/%E0%A4%A',
  ]) {
    const { status, body } = await rawGet(base, path);
    assert.ok(status === 400 || status === 404, `${path} -> ${status}`);
    assert.ok(!body.includes('SECRET'), `${path} leaked a file`);
  }
});

test('cache headers: index.html, sw.js and the manifest revalidate; hashed assets are immutable', async () => {
  for (const path of ['/', '/index.html', '/sw.js', '/manifest.webmanifest']) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
  }
  const asset = await fetch(`${base}/assets/index-3f2a9c1b.js`);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
});

test('content types, including .webmanifest and .js', async () => {
  const cases: Array<[string, string]> = [
    ['/', 'text/html; charset=utf-8'],
    ['/sw.js', 'text/javascript; charset=utf-8'],
    ['/assets/index-3f2a9c1b.js', 'text/javascript; charset=utf-8'],
    ['/assets/index-3f2a9c1b.css', 'text/css; charset=utf-8'],
    ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
  ];
  for (const [path, type] of cases) assert.equal((await fetch(base + path)).headers.get('content-type'), type, path);
});

test('security headers are on every response', async () => {
  for (const path of ['/', '/assets/index-3f2a9c1b.js', '/missing.png']) {
    const res = await fetch(base + path);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      assert.equal(res.headers.get(name), value, `${path}: ${name}`);
    }
  }
  assert.match(SECURITY_HEADERS['Content-Security-Policy'] ?? '', /script-src 'self'; style-src 'self'/);
});

test('page routes serve index.html; a missing file with an extension is 404', async () => {
  const page = await fetch(`${base}/?session=0b7e3f9a-2c1d-4e5f-8a9b-0c1d2e3f4a5b`);
  assert.equal(await page.text(), '<!doctype html><title>HomeCall</title>');
  const route = await fetch(`${base}/call/anything`);
  assert.equal(route.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal((await fetch(`${base}/missing.png`)).status, 404);
  assert.equal((await fetch(`${base}/assets/missing-1234.js`)).status, 404);
});

test('ETag revalidation answers 304; HEAD has headers and no body', async () => {
  const first = await fetch(`${base}/sw.js`);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(`${base}/sw.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const head = await fetch(`${base}/sw.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal(
    head.headers.get('content-length'),
    String(Buffer.byteLength('self.addEventListener("fetch", () => {});')),
  );
});

test('before the client is built, pages get a placeholder with no inline script or style', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const url = await serve(empty);
  const res = await fetch(`${url}/?session=x`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /not built/);
  assert.doesNotMatch(html, /<script|<style|style=/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
});

test('the default web root is dist/web, never the src/web sources', () => {
  assert.ok(defaultWebRoot().endsWith(`${sep}dist${sep}web${sep}`), defaultWebRoot());
});

test('the build is served from memory as it was at start; a file added later comes from disk', async () => {
  const root = join(dir, 'snapshot');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>v1</title>');
  const url = await serve(root);
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>v2</title>');
  writeFileSync(join(root, 'late.js'), 'late();');
  assert.match(await (await fetch(`${url}/?session=x`)).text(), /v1/);
  assert.match(await (await fetch(`${url}/index.html`)).text(), /v1/);
  const late = await fetch(`${url}/late.js`);
  assert.equal(late.status, 200);
  assert.equal(await late.text(), 'late();');
});

test("a page's inline script is allowed by its SHA-256 hash and nothing else inline is", async () => {
  const root = join(dir, 'inline');
  mkdirSync(join(root, 'late'), { recursive: true });
  const code = 'start("camera");\r\nconsole.log(`</p>`);';
  writeFileSync(join(root, 'index.html'), `<!doctype html><title>x</title><script type="module">${code}</script>`);
  const url = await serve(root);
  // As the browser hashes it: the parser has turned CR LF into LF first.
  const hash = createHash('sha256').update(code.replace('\r\n', '\n')).digest('base64');
  const csp = (await fetch(`${url}/?session=x`)).headers.get('content-security-policy') ?? '';
  assert.match(csp, new RegExp(`(^|; )script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // Everything but script-src is the default policy.
  const others = (p: string) => p.split('; ').filter((d) => !d.startsWith('script-src'));
  assert.deepEqual(others(csp), others(SECURITY_HEADERS['Content-Security-Policy'] ?? ''));
  // Other files keep the default policy.
  const css = await fetch(`${url}/missing.css`);
  assert.equal(css.headers.get('content-security-policy'), SECURITY_HEADERS['Content-Security-Policy']);
  // A page that appeared after start gets its own hash, from its own text.
  writeFileSync(join(root, 'late', 'page.html'), '<script>other()</script><script src="/a.js"></script>');
  const late = await fetch(`${url}/late/page.html`);
  const lateHash = createHash('sha256').update('other()').digest('base64');
  assert.match(
    late.headers.get('content-security-policy') ?? '',
    new RegExp(`script-src 'self' 'sha256-${lateHash.replace(/[+/]/g, '\\$&')}';`),
  );
  assert.doesNotMatch(late.headers.get('content-security-policy') ?? '', new RegExp(hash.replace(/[+/]/g, '\\$&')));
});
