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
  const bench = { remote: new Set(), firstFrameAt: null, marks: {}, longTasks: [] };
  window.__bench = bench;
  const now = () => performance.timeOrigin + performance.now();
  // Main-thread tasks over 50 ms (epoch ms start, duration): how busy the page itself was.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  // The first time each phase is reached (epoch ms); later repeats (renegotiation) are ignored.
  const at = (name) => { if (!(name in bench.marks)) bench.marks[name] = now(); };
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(config) {
      super(config);
      at('pcCreated');
      this.addEventListener('track', (e) => {
        if (e.track.kind === 'video') bench.remote.add(e.track);
      });
      this.addEventListener('iceconnectionstatechange', () => {
        if (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed') at('iceConnected');
      });
    }
  };
  const OriginalWs = window.WebSocket;
  window.WebSocket = class extends OriginalWs {
    constructor(...args) {
      at('script');
      super(...args);
      this.addEventListener('open', () => at('wsOpen'));
      this.addEventListener('message', (e) => {
        try {
          const f = JSON.parse(e.data);
          if (f.type === 'joined') at('joined');
          else if (f.type === 'peer' && f.state === 'joined') at('peerJoined');
          else if (f.type === 'offer') at('offerReceived');
          else if (f.type === 'answer') at('answerReceived');
        } catch {}
      });
    }
    send(data) {
      try {
        const f = JSON.parse(data);
        if (f.type === 'offer') at('offerSent');
        else if (f.type === 'answer') at('answerSent');
      } catch {}
      return super.send(data);
    }
  };
  const md = navigator.mediaDevices;
  if (md) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      at('script');
      const r = await gum(c);
      at('media');
      return r;
    };
  }
  const hooked = new WeakSet();
  const mark = () => {
    if (bench.firstFrameAt === null) {
      bench.firstFrameAt = now();
      at('frame');
    }
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

/**
 * The phases of one call, in the order they usually happen, each the first time it is reached,
 * in ms from the second page's navigation. A phase a page reached before that moment (the
 * first page's own load and join) is left out for that page.
 */
export const PHASES = [
  'html',
  'scriptReceived',
  'script',
  'media',
  'wsOpen',
  'joined',
  'peerJoined',
  'pcCreated',
  'offerSent',
  'offerReceived',
  'answerSent',
  'answerReceived',
  'iceConnected',
  'frame',
] as const;
export type Phase = (typeof PHASES)[number];
export const PHASE_TEXT: Record<Phase, string> = {
  html: 'page received (navigation responseEnd)',
  scriptReceived: 'first script file received (resource responseEnd; the app: its UI chunk, its entry is inline)',
  script: 'page code running (first getUserMedia or WebSocket)',
  media: 'getUserMedia resolved',
  wsOpen: 'signalling socket open',
  joined: '`joined` received',
  peerJoined: '`peer joined` received',
  pcCreated: 'RTCPeerConnection created',
  offerSent: 'offer sent',
  offerReceived: 'offer received',
  answerSent: 'answer sent',
  answerReceived: 'answer received',
  iceConnected: 'ICE connected',
  frame: 'first decoded remote frame',
};
export type Timeline = Partial<Record<Phase, number>>;

export interface BrowserRun {
  target: TargetName;
  run: number;
  firstMs: number | null;
  secondMs: number | null;
  bothMs: number | null;
  /** Per page, the phases reached after the second page's navigation (ms from it). */
  phases?: { first: Timeline; second: Timeline };
  /** Per page, main-thread time in long tasks (over 50 ms) from the navigation to its first frame. */
  longTaskMs?: { first: number; second: number };
  error?: string;
}

const READ_MARKS = `(() => {
  const m = { ...window.__bench.marks };
  const end = window.__bench.firstFrameAt ?? Infinity;
  m.longTasks = window.__bench.longTasks.filter(([at]) => at < end);
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav && nav.responseEnd > 0) m.html = performance.timeOrigin + nav.responseEnd;
  const js = performance.getEntriesByType('resource').find((e) => e.initiatorType === 'script' || e.name.endsWith('.js'));
  if (js && js.responseEnd > 0) m.scriptReceived = performance.timeOrigin + js.responseEnd;
  return m;
})()`;

async function timeline(page: Page, t0: number): Promise<{ phases: Timeline; longTaskMs: number }> {
  const { longTasks, ...marks } = (await page.evaluate(READ_MARKS)) as Record<string, number> & {
    longTasks: Array<[number, number]>;
  };
  // The part of each long task after the navigation (a task can straddle it).
  const longTaskMs = Math.round(longTasks.reduce((sum, [at, d]) => sum + Math.max(0, at + d - Math.max(at, t0)), 0));
  const out: Timeline = {};
  for (const p of PHASES) {
    const at = marks[p];
    if (typeof at === 'number' && at >= t0) out[p] = Math.round(at - t0);
  }
  return { phases: out, longTaskMs };
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
    const [a1, b1] = [await timeline(first, t0), await timeline(second, t0)];
    const phases = { first: a1.phases, second: b1.phases };
    const longTaskMs = { first: a1.longTaskMs, second: b1.longTaskMs };
    return {
      target: server.target,
      run,
      firstMs,
      secondMs,
      bothMs,
      phases,
      longTaskMs,
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

function phaseSpreads(runs: BrowserRun[], page: 'first' | 'second'): Partial<Record<Phase, Spread>> {
  const out: Partial<Record<Phase, Spread>> = {};
  for (const p of PHASES) {
    const s = spread(runs.map((r) => r.phases?.[page][p]));
    if (s !== null) out[p] = s;
  }
  return out;
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
    {
      bothMs: Spread | null;
      firstMs: Spread | null;
      secondMs: Spread | null;
      failed: number;
      /** Median per phase and page over the runs that reached it. */
      phases: { first: Partial<Record<Phase, Spread>>; second: Partial<Record<Phase, Spread>> };
      longTaskMs: { first: Spread | null; second: Spread | null };
    }
  > = {};
  for (const t of opts.targets) {
    const mine = runs.filter((r) => r.target === t);
    summary[t] = {
      bothMs: spread(mine.map((r) => r.bothMs)),
      firstMs: spread(mine.map((r) => r.firstMs)),
      secondMs: spread(mine.map((r) => r.secondMs)),
      failed: mine.filter((r) => r.bothMs === null).length,
      phases: { first: phaseSpreads(mine, 'first'), second: phaseSpreads(mine, 'second') },
      longTaskMs: {
        first: spread(mine.map((r) => r.longTaskMs?.first)),
        second: spread(mine.map((r) => r.longTaskMs?.second)),
      },
    };
  }
  return { runs, summary };
}
