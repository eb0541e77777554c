import { CHROMIUM, CHROMIUM_FLAGS, FAKE_UI_FLAG } from '../../helpers/chromium.js';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export { CHROMIUM };

/**
 * Bounds a wait on a shared, busy machine; never a measure of speed. The default of every wait
 * here: a state a page reaches at once when idle can take tens of seconds under CI's load (a
 * join answered after a slow TLS handshake and a reconnect backoff).
 */
export const SLOW = 90_000;
/** The shared flags (test/helpers/chromium.ts) and what only the browser tests add. */
const BASE_ARGS = [
  ...CHROMIUM_FLAGS,
  // The test server's self-signed certificate: without this, service worker registration is
  // refused even where the context ignores HTTPS errors for pages.
  '--ignore-certificate-errors',
  // Keep timers and media running in pages that are not focused (two pages side by side).
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * `fakeUi: false` leaves camera/microphone prompts unanswered, which headless Chromium denies.
 * `executablePath` runs Chromium through a wrapper (e.g. one that enters a network namespace).
 * `args` adds switches (e.g. `--autoplay-policy=document-user-activation-required`).
 */
export interface LaunchOptions {
  fakeUi?: boolean;
  executablePath?: string;
  args?: string[];
}

export function launchBrowser(opts: LaunchOptions = {}): Promise<Browser> {
  const args = opts.fakeUi === false ? BASE_ARGS : [...BASE_ARGS, FAKE_UI_FLAG];
  return chromium.launch({
    executablePath: opts.executablePath ?? CHROMIUM,
    args: [...args, ...(opts.args ?? [])],
    timeout: 30_000,
  });
}

/**
 * Ends the call the way a person does: «Завершить» asks «Точно завершить?» in place, and a
 * second press ends it. On a loaded machine the question may time out between the two presses
 * (it turns back after a few seconds), so this presses again until the button is gone.
 */
export async function hangUp(page: Page): Promise<void> {
  const button = page.getByTestId('hangup');
  for (let i = 0; i < 10; i++) {
    if ((await button.count()) === 0) return;
    const confirming = (await button.getAttribute('data-confirming').catch(() => null)) === 'true';
    await button.click({ timeout: 10_000 }).catch(() => {});
    if (!confirming) continue;
    const gone = await button.waitFor({ state: 'detached', timeout: 3_000 }).then(
      () => true,
      () => false,
    );
    if (gone) return;
  }
  throw new Error('the hang-up button did not end the call');
}

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

/**
 * Test hook, test-only: every RTCPeerConnection a page creates is recorded in
 * `window.__pcs`, so tests can read getStats() without any hook in the app itself.
 */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
})();`;

export interface CallContextOptions {
  locale?: string;
  viewport?: { width: number; height: number };
  serviceWorkers?: 'allow' | 'block';
  permissions?: string[];
}

export async function newCallContext(browser: Browser, opts: CallContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: opts.locale ?? 'ru-RU',
    viewport: opts.viewport ?? PHONE,
    serviceWorkers: opts.serviceWorkers ?? 'block',
    permissions: opts.permissions ?? [],
  });
  await context.addInitScript(RECORD_PEER_CONNECTIONS);
  return context;
}

export interface MediaCounters {
  framesDecoded: number;
  audioPackets: number;
  pcState: string;
}

/** Inbound video frames decoded and audio packets received on the page's live connection. */
export function mediaCounters(page: Page): Promise<MediaCounters> {
  return page.evaluate(async () => {
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter(
      (pc) => pc.connectionState !== 'closed',
    );
    const pc = pcs[pcs.length - 1];
    if (!pc) return { framesDecoded: 0, audioPackets: 0, pcState: 'none' };
    let framesDecoded = 0;
    let audioPackets = 0;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') framesDecoded += Number(s.framesDecoded ?? 0);
      if (s.kind === 'audio') audioPackets += Number(s.packetsReceived ?? 0);
    });
    return { framesDecoded, audioPackets, pcState: pc.connectionState };
  });
}

/** Waits until video frames decode and audio packets arrive (both counters grow). */
export async function expectMediaFlowing(
  page: Page,
  what: { video?: boolean; audio?: boolean } = {},
  timeoutMs = 20_000,
): Promise<void> {
  const video = what.video ?? true;
  const audio = what.audio ?? true;
  await untilGrown(
    page,
    () => mediaCounters(page),
    (start, now) =>
      (!video || now.framesDecoded > start.framesDecoded) && (!audio || now.audioPackets > start.audioPackets),
    timeoutMs,
    'media is not flowing',
  );
}

/** What the remote <video> element shows: frames it has presented, and whether it plays the live connection's video. */
export interface PictureCounters {
  framesShown: number;
  playsLiveTrack: boolean;
}

export function pictureCounters(page: Page): Promise<PictureCounters> {
  return page.evaluate(() => {
    const el = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter(
      (pc) => pc.connectionState !== 'closed',
    );
    const pc = pcs[pcs.length - 1];
    if (!el || !pc) return { framesShown: 0, playsLiveTrack: false };
    const live = pc.getReceivers().flatMap((r) => (r.track.kind === 'video' ? [r.track] : []));
    const shown = el.srcObject instanceof MediaStream ? el.srcObject.getVideoTracks() : [];
    return {
      framesShown: el.getVideoPlaybackQuality().totalVideoFrames,
      playsLiveTrack: shown.some((t) => t.readyState === 'live' && live.includes(t)),
    };
  });
}

/**
 * Waits until the person sees the other one move: the remote <video> element plays the live
 * connection's video track and presents new frames (decoded frames alone do not prove that the
 * element shows them, e.g. after the connection was rebuilt).
 */
export async function expectPictureShown(page: Page, timeoutMs = 20_000, frames = 10): Promise<void> {
  await untilGrown(
    page,
    () => pictureCounters(page),
    (start, now) => now.playsLiveTrack && now.framesShown >= start.framesShown + frames,
    timeoutMs,
    'the remote video shows no moving picture',
  );
}

/**
 * Reads the page's counters every 500 ms until `grown(start, now)` holds, or throws `what` with
 * the first and last readings when `timeoutMs` passes first.
 */
async function untilGrown<T>(
  page: Page,
  read: () => Promise<T>,
  grown: (start: T, now: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const start = await read();
  const deadline = Date.now() + timeoutMs;
  let now = start;
  while (Date.now() < deadline) {
    await page.waitForTimeout(500);
    now = await read();
    if (grown(start, now)) return;
  }
  throw new Error(`${what} on ${page.url()}: ${JSON.stringify({ start, now })}`);
}

/** How many RTCPeerConnections the page has created: unchanged means the call was never rebuilt. */
export const peerConnectionCount = (page: Page) =>
  page.evaluate(() => (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs?.length ?? 0);

export const dataState = (page: Page) => page.locator('#app > .app').getAttribute('data-state');

/** The app's state and the start of its text, for a failure message. */
export async function describePage(page: Page): Promise<string> {
  const now = await dataState(page).catch(() => 'unknown (the page is gone)');
  const screen = await page
    .locator('#app')
    .innerText({ timeout: 1_000 })
    .catch(() => '');
  return `state "${now}", showing: ${screen.slice(0, 300).replace(/\s+/g, ' ')}`;
}

/** Waits for the app's state; on a timeout the error says which state the page is in instead. */
export async function waitForState(page: Page, state: string, timeoutMs = SLOW): Promise<void> {
  try {
    await page.locator(`.app[data-state="${state}"]`).waitFor({ timeout: timeoutMs });
  } catch (err) {
    throw new Error(`the page did not reach state "${state}"; it is in ${await describePage(page)}`, { cause: err });
  }
}

/** Waits for an element by its test id; on a timeout the error says what the page shows instead. */
export async function waitForTestId(page: Page, testId: string, timeoutMs = SLOW): Promise<void> {
  try {
    await page.getByTestId(testId).waitFor({ timeout: timeoutMs });
  } catch (err) {
    throw new Error(`no "${testId}" on the page; it is in ${await describePage(page)}`, { cause: err });
  }
}
