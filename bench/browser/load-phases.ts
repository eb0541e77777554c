/**
 * Diagnosis, not measurement: where a page's start goes before its code opens the signalling
 * socket, from the page's own navigation timing. One page opens a call link alone (no second
 * page), `runs` times in fresh contexts (after one unmeasured round), each variant in turn, the
 * order reversed every other round; prints medians in ms from navigation start: responseEnd,
 * domInteractive (the HTML parsed), the socket created, the camera asked for, domContentLoaded.
 * A variant changes the real response on its way to the page (request interception): its
 * headers, or its HTML. Issue 11: the app reached domInteractive 35-45 ms after the floor page,
 * and neither its 46 KB inline script nor its head was why: its Cross-Origin-Opener-Policy was.
 *
 *   node --import tsx bench/browser/load-phases.ts [runs]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { makeCert } from '../lib/cert.js';
import { repoDir, startServer } from '../lib/targets.js';
import { CHROMIUM, CHROMIUM_ARGS } from './measure.js';

const HOOK = `(() => {
  const t = (window.__phases = {});
  const WS = window.WebSocket;
  window.WebSocket = function (...a) { t.socket ??= performance.now(); return new WS(...a); };
  window.WebSocket.prototype = WS.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  const md = navigator.mediaDevices;
  if (md) { const g = md.getUserMedia.bind(md); md.getUserMedia = (c) => { t.camera ??= performance.now(); return g(c); }; }
})();`;

const runs = Number(process.argv[2] ?? 8);
/** Page variants, each served through the browser's request interception from the real response. */
type Variant = {
  target: 'homecall' | 'floor';
  name: string;
  body?: (html: string) => string;
  dropCsp?: boolean;
  drop?: string[];
  add?: Record<string, string>;
};
const VARIANTS: Variant[] = [
  { target: 'homecall', name: 'app' },
  { target: 'homecall', name: 'app without COOP', drop: ['cross-origin-opener-policy'] },
  {
    target: 'homecall',
    name: 'app, COOP same-origin-allow-popups',
    add: { 'cross-origin-opener-policy': 'same-origin-allow-popups' },
  },
  { target: 'homecall', name: 'app without its CSP', drop: ['content-security-policy'] },
  {
    target: 'homecall',
    name: 'app without manifest and icon links',
    body: (h) => h.replace(/<link rel="(manifest|icon|apple-touch-icon)"[^>]*>/g, ''),
  },
  {
    target: 'homecall',
    name: 'app, its entry never called',
    // Only the socket, so the round ends: the 46 KB are parsed but do not run.
    body: (h) =>
      h.replace(
        /<script type="module">([\s\S]*?)<\/script>/,
        (_m, js: string) =>
          `<script type="module">if (false) (function () { ${js} })(); new WebSocket('wss://' + location.host + '/none');</script>`,
      ),
  },
  { target: 'floor', name: 'floor' },
  { target: 'floor', name: 'floor with COOP same-origin', add: { 'cross-origin-opener-policy': 'same-origin' } },
  {
    target: 'floor',
    name: "floor + the app's entry (never called)",
    body: (h) =>
      h.replace('<script type="module">', () => `<script type="module">if (false) (function () { ${appEntry} })();\n`),
  },
];
let appEntry = '';
const workDir = mkdtempSync(join(tmpdir(), 'homecall-load-phases-'));
const cert = await makeCert(workDir);
const servers = {
  homecall: await startServer('homecall', { cert, workDir, label: 'lp-homecall' }),
  floor: await startServer('floor', { cert, workDir, label: 'lp-floor' }),
};
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const rows: Record<string, Record<string, number[]>> = {};
{
  const html = readFileSync(join(repoDir, 'dist', 'web', 'index.html'), 'utf8');
  appEntry = (/<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '').replace(/<\/script/g, '<\\/script');
}
try {
  for (let i = 0; i <= runs; i++) {
    const order = i % 2 ? [...VARIANTS].reverse() : VARIANTS;
    for (const v of order) {
      const target = v.target;
      if (i === 0) console.error(`warm-up: ${v.name}`);
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true, permissions: ['camera', 'microphone'] });
      await ctx.addInitScript(HOOK);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error(`${v.name}: ${e.message}`));
      if (v.body || v.dropCsp || v.drop || v.add) {
        await page.route(/\/\?session=/, async (route) => {
          const r = await route.fetch();
          const headers = { ...r.headers() };
          if (v.dropCsp) delete headers['content-security-policy'];
          if (v.body) delete headers['content-security-policy'];
          for (const h of v.drop ?? []) delete headers[h];
          Object.assign(headers, v.add ?? {});
          delete headers['content-length'];
          await route.fulfill({ status: r.status(), headers, body: (v.body ?? ((h) => h))(await r.text()) });
        });
      }
      await page.goto(`${servers[target].url}?session=${randomUUID()}`, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { __phases: { socket?: number } }).__phases.socket);
      const p = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const t = (window as unknown as { __phases: Record<string, number> }).__phases;
        return {
          responseEnd: n.responseEnd,
          domInteractive: n.domInteractive,
          socket: t.socket ?? -1,
          camera: t.camera ?? -1,
          domContentLoaded: n.domContentLoadedEventStart,
        };
      });
      await ctx.close();
      if (i === 0) continue; // warm-up
      const row = rows[v.name] ?? {};
      rows[v.name] = row;
      for (const [k, x] of Object.entries(p)) row[k] = [...(row[k] ?? []), x];
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [target, phases] of Object.entries(rows))
    console.log(
      target.padEnd(52),
      Object.entries(phases)
        .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
        .join(', '),
    );
} finally {
  await browser.close();
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(workDir, { recursive: true, force: true });
}
