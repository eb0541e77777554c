/**
 * Part 5: two headless Chromium pages (fake camera and microphone) open the same link; the
 * figure is the time from the second page's navigation to the first decoded remote video frame
 * on both sides. The same probe is injected into the HomeCall app and into the floor page: it
 * wraps RTCPeerConnection to learn which video tracks are remote, and records when a <video>
 * showing one first has a decoded frame (requestVideoFrameCallback, or `loadeddata`,
 * whichever comes first). Debian's Chromium only; never a downloaded browser.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS, FAKE_UI_FLAG } from '../../test/helpers/chromium.js';
import { type Spread, spread } from '../lib/stats.js';
import type { RunningServer, TargetName } from '../lib/targets.js';

export { CHROMIUM };
export const CHROMIUM_ARGS = [
  ...CHROMIUM_FLAGS,
  FAKE_UI_FLAG,
  // The remote video plays with sound in the app; headless has no user gesture to allow it.
  '--autoplay-policy=no-user-gesture-required',
];

const RUN_TIMEOUT_MS = 20_000;

/**
 * Runs in every page before its own scripts. Kept as plain JavaScript text: a function from this
 * (transpiled) module would carry the transpiler's helpers into the page.
 */
const PROBE = `(() => {
  const bench = { remote: new Set(), firstFrameAt: null };
  window.__bench = bench;
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(config) {
      super(config);
      this.addEventListener('track', (e) => {
        if (e.track.kind === 'video') bench.remote.add(e.track);
      });
    }
  };
  const hooked = new WeakSet();
  const mark = () => {
    if (bench.firstFrameAt === null) bench.firstFrameAt = performance.timeOrigin + performance.now();
  };
  const scan = () => {
    for (const v of document.querySelectorAll('video')) {
      if (hooked.has(v)) continue;
      const s = v.srcObject;
      if (!(s instanceof MediaStream) || !s.getVideoTracks().some((t) => bench.remote.has(t))) continue;
      hooked.add(v);
      if (v.readyState >= 2) mark();
      v.addEventListener('loadeddata', mark, { once: true });
      if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(() => mark());
    }
    if (bench.firstFrameAt === null) setTimeout(scan, 2);
  };
  scan();
})();`;

export interface BrowserRun {
  target: TargetName;
  run: number;
  firstMs: number | null;
  secondMs: number | null;
  bothMs: number | null;
  error?: string;
}

async function oneRun(browser: Browser, server: RunningServer, run: number): Promise<BrowserRun> {
  const url = `${server.url}?session=${randomUUID()}`;
  const contexts = await Promise.all(
    ['alice', 'bob'].map(() => browser.newContext({ ignoreHTTPSErrors: true, permissions: ['camera', 'microphone'] })),
  );
  try {
    const pages: Page[] = [];
    for (const ctx of contexts) {
      await ctx.addInitScript({ content: PROBE });
      pages.push(await ctx.newPage());
    }
    const [first, second] = pages as [Page, Page];
    await first.goto(url);
    await first.waitForSelector('[data-state="waiting"]', { timeout: RUN_TIMEOUT_MS });
    // The first participant is settled (camera on, link shown) before the second opens it.
    await sleep(500);
    const t0 = Date.now();
    await second.goto(url);
    const frameAt = (p: Page) => p.evaluate('window.__bench.firstFrameAt') as Promise<number | null>;
    const deadline = t0 + RUN_TIMEOUT_MS;
    let a: number | null = null;
    let b: number | null = null;
    while (Date.now() < deadline && (a === null || b === null)) {
      [a, b] = await Promise.all([frameAt(first), frameAt(second)]);
      if (a === null || b === null) await sleep(20);
    }
    const firstMs = a === null ? null : Math.round(a - t0);
    const secondMs = b === null ? null : Math.round(b - t0);
    const bothMs = firstMs === null || secondMs === null ? null : Math.max(firstMs, secondMs);
    return {
      target: server.target,
      run,
      firstMs,
      secondMs,
      bothMs,
      ...(bothMs === null ? { error: 'no remote frame within 20 s' } : {}),
    };
  } catch (e) {
    return {
      target: server.target,
      run,
      firstMs: null,
      secondMs: null,
      bothMs: null,
      error: (e as Error).message.split('\n')[0],
    };
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  }
}

export interface BrowserOptions {
  runs: number;
  targets: TargetName[];
  start: (target: TargetName, label: string) => Promise<RunningServer>;
  log: (msg: string) => void;
}

export async function runBrowser(opts: BrowserOptions) {
  const servers: RunningServer[] = [];
  let browser: Browser | null = null;
  const runs: BrowserRun[] = [];
  try {
    for (const t of opts.targets) servers.push(await opts.start(t, `browser-${t}`));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // One unmeasured run each: the first page load of a fresh browser pays for its caches.
    for (const s of servers) await oneRun(browser, s, 0);
    for (let run = 1; run <= opts.runs; run++) {
      for (const s of servers) {
        const r = await oneRun(browser, s, run);
        runs.push(r);
        opts.log(
          `  browser ${s.target} run ${run}: both ${r.bothMs} ms (first ${r.firstMs}, second ${r.secondMs})${r.error ? ` ${r.error}` : ''}`,
        );
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    // All at once: every server is stopped even when one stop fails.
    await Promise.all(servers.map((s) => s.stop()));
  }
  const summary: Record<
    string,
    { bothMs: Spread | null; firstMs: Spread | null; secondMs: Spread | null; failed: number }
  > = {};
  for (const t of opts.targets) {
    const mine = runs.filter((r) => r.target === t);
    summary[t] = {
      bothMs: spread(mine.map((r) => r.bothMs)),
      firstMs: spread(mine.map((r) => r.firstMs)),
      secondMs: spread(mine.map((r) => r.secondMs)),
      failed: mine.filter((r) => r.bothMs === null).length,
    };
  }
  return { runs, summary };
}
