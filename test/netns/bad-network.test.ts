import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { dataState, expectMediaFlowing, expectPictureShown } from '../e2e/helpers/browser.js';
import { cleanupLeftovers, createTopology, type Topology } from '../helpers/netns.js';
import { home, prepareNatTests, RECOVERY_TIMEOUT_MS, SCENARIO, scenario } from './helpers/call.js';
import { impairLan } from './helpers/delay-line.js';

// reliability.md X2 and X3 with two real browsers: one home's network goes silent mid-call (a
// blackhole: packets vanish, no FIN, no RST), and one home is on a lossy, slow path (a delay
// line doing tc netem's job in user space: helpers/delay-line.ts).
// What is asserted is what the people in the call see: the state each screen shows, and video
// frames and audio packets arriving both ways (getStats). Its own namespace prefix, so the
// runner can run this file beside the NAT tests.

const PREFIX = 'hcr-';
/** Server liveness shrunk so the test need not wait 30 s; the place is held well past the outage. */
const SERVER_ARGS = ['--ping-interval', '1s', '--drop-after', '3s', '--grace', '5m'];
/** How long a wait for what a page shows may take on a loaded machine (it only bounds the wait). */
const SHOWN_TIMEOUT_MS = 60_000;

before(() => {
  prepareNatTests();
  cleanupLeftovers(PREFIX);
});

/**
 * Records every toast the page shows (the layer shows only the latest, and a toast may be
 * replaced quickly), so a test can ask afterwards whether one was shown.
 */
function recordToasts(page: Page): Promise<void> {
  // A string, not a function: the test's compiler would wrap inner functions in a helper the
  // page does not have.
  return page.evaluate(`(() => {
    if (window.__toastKeys) return;
    const keys = [];
    window.__toastKeys = keys;
    const note = () => {
      for (const el of document.querySelectorAll('[data-testid="toast"] [data-key]')) {
        const key = el.getAttribute('data-key');
        if (key && keys[keys.length - 1] !== key) keys.push(key);
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
    note();
  })()`);
}

async function waitForToast(page: Page, key: string, timeoutMs = SHOWN_TIMEOUT_MS): Promise<void> {
  try {
    await page.waitForFunction(
      (k) => ((window as unknown as { __toastKeys?: string[] }).__toastKeys ?? []).includes(k),
      key,
      { timeout: timeoutMs, polling: 200 },
    );
  } catch (err) {
    const seen = await page.evaluate(() => (window as unknown as { __toastKeys?: string[] }).__toastKeys ?? []);
    throw new Error(`${page.url()} never showed the "${key}" toast; it showed ${JSON.stringify(seen)}`, { cause: err });
  }
}

/** The root element's `data-signal` (connecting | online | offline). */
const signalOf = (page: Page) => page.locator('#app > .app').getAttribute('data-signal');

async function waitForSignal(page: Page, status: string, timeoutMs = SHOWN_TIMEOUT_MS): Promise<void> {
  try {
    await page.locator(`#app > .app[data-signal="${status}"]`).waitFor({ timeout: timeoutMs });
  } catch (err) {
    throw new Error(`signalling on ${page.url()} never became "${status}" (it is "${await signalOf(page)}")`, {
      cause: err,
    });
  }
}

/** The state of the page's live RTCPeerConnection. */
const pcState = (page: Page) =>
  page.evaluate(() => {
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter(
      (pc) => pc.connectionState !== 'closed',
    );
    return pcs[pcs.length - 1]?.connectionState ?? 'none';
  });

async function waitForPcState(page: Page, states: readonly string[], timeoutMs = SHOWN_TIMEOUT_MS): Promise<void> {
  try {
    await page.waitForFunction(
      (wanted) => {
        const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter(
          (pc) => pc.connectionState !== 'closed',
        );
        return wanted.includes(pcs[pcs.length - 1]?.connectionState ?? 'none');
      },
      states,
      { timeout: timeoutMs, polling: 200 },
    );
  } catch (err) {
    throw new Error(`the connection on ${page.url()} never became ${states.join('/')} (it is ${await pcState(page)})`, {
      cause: err,
    });
  }
}

/**
 * Records every connection state each of the page's RTCPeerConnections goes through (an ICE
 * restart may pass `disconnected` quicker than a poll), and returns how many were seen so far.
 */
function recordLinkStates(page: Page): Promise<number> {
  // A string, as in recordToasts.
  return page.evaluate(`(() => {
    if (!window.__linkStates) {
      const seen = [];
      window.__linkStates = seen;
      const watch = (pc) => {
        seen.push(pc.connectionState);
        pc.addEventListener('connectionstatechange', () => seen.push(pc.connectionState));
      };
      const pcs = window.__pcs ?? [];
      pcs.forEach(watch);
      const push = pcs.push.bind(pcs);
      pcs.push = (...items) => {
        items.forEach(watch);
        return push(...items);
      };
    }
    return window.__linkStates.length;
  })()`) as Promise<number>;
}

/** Waits until one of the page's connections has gone through one of `states` since `mark`. */
async function waitForLinkState(page: Page, states: readonly string[], mark: number): Promise<void> {
  try {
    await page.waitForFunction(
      ([wanted, from]) =>
        ((window as unknown as { __linkStates?: string[] }).__linkStates ?? [])
          .slice(from as number)
          .some((state) => (wanted as string[]).includes(state)),
      [states, mark] as const,
      { timeout: SHOWN_TIMEOUT_MS, polling: 200 },
    );
  } catch (err) {
    const seen = await page.evaluate(() => (window as unknown as { __linkStates?: string[] }).__linkStates ?? []);
    throw new Error(
      `the media link on ${page.url()} never went ${states.join('/')}; it went ${JSON.stringify(seen.slice(mark))}`,
      { cause: err },
    );
  }
}

/** Every packet through the home's router vanishes, both ways: no FIN, no RST, no ICMP. */
function blackhole(t: Topology, name: string, on: boolean): void {
  const { natNs } = t.homes[name]!;
  if (on) {
    // Ahead of the router's own chains (priority -10 < filter), so nothing is answered either.
    const rules = `table inet blackhole {
  chain through { type filter hook forward priority -10; policy drop; }
  chain to_router { type filter hook input priority -10; policy drop; }
  chain from_router { type filter hook output priority -10; policy drop; }
}
`;
    t.exec(natNs, 'nft', ['-f', '-'], rules);
  } else {
    t.exec(natNs, 'nft', ['delete', 'table', 'inet', 'blackhole']);
  }
}

/** reliability.md X3's path, on one home's LAN link, each way. */
const X3_PATH = { loss: 0.1, delayMs: 200, jitterMs: 50 };

/** The round-trip time the page's selected candidate pair measures (STUN consent checks), in s. */
const pairRtt = (page: Page) =>
  page.evaluate(async () => {
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter(
      (pc) => pc.connectionState !== 'closed',
    );
    const pc = pcs[pcs.length - 1];
    if (!pc) return null;
    let rtt: number | null = null;
    (await pc.getStats()).forEach((s: { type: string; nominated?: boolean; currentRoundTripTime?: number }) => {
      if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number')
        rtt = s.currentRoundTripTime;
    });
    return rtt;
  });

/** Uncaught errors thrown in the pages from now on (a crash the screen might not show). */
function collectPageErrors(pages: readonly Page[]): string[] {
  const errors: string[] = [];
  for (const page of pages) page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/** Media keeps flowing: video frames and audio packets grow on both pages, window after window. */
async function expectMediaKeepsFlowing(pages: readonly Page[], windows: number, timeoutMs: number): Promise<void> {
  for (let i = 0; i < windows; i++) await Promise.all(pages.map((p) => expectMediaFlowing(p, {}, timeoutMs)));
}

test(
  'X3: one home on a path with 10% loss and 200±50 ms delay each way: the call connects and media flows both ways',
  SCENARIO,
  async () => {
    const s = scenario(createTopology({ prefix: PREFIX, homes: [home('a', 'symmetric'), home('b', 'symmetric')] }));
    try {
      const line = await impairLan(s.topology, 'a', X3_PATH);
      const url = await s.startHomecall({ args: SERVER_ARGS });
      // The page, the signalling exchange and ICE all cross the bad path.
      const [a, b] = await s.call(url, ['a', 'b'], { timeoutMs: 90_000 });
      const pageErrors = collectPageErrors([a, b]);
      await expectMediaKeepsFlowing([a, b], 3, 40_000);
      for (const page of [a, b]) assert.equal(await dataState(page), 'active');
      // The path really was that bad: the media link measured at least the delay line's least
      // round trip (2 × 150 ms; a loaded machine only adds), and the line dropped about 10%.
      const rtt = await pairRtt(a);
      assert.ok(rtt !== null && rtt >= 0.3, `the call's round trip was ${rtt} s, not the delay line's`);
      const stats = await line.stop();
      const frames = stats.toTap + stats.toPort + stats.dropped - stats.arp;
      // Enough frames that the drop ratio means something: at 500, a 10% drop has a standard
      // deviation of 1.3 points, so the 5-15% band below is nearly 4 of them wide each way. (A
      // loaded CI machine carried 976 frames in this test: congestion control sends less there.)
      assert.ok(frames >= 500, `only ${frames} frames crossed the delay line`);
      const lost = stats.dropped / frames;
      assert.ok(lost > 0.05 && lost < 0.15, `the delay line dropped ${(lost * 100).toFixed(1)}% of ${frames} frames`);
      assert.deepEqual(pageErrors, [], 'no uncaught error in either page');
    } finally {
      await s.close();
    }
  },
);

test(
  'X2: a silent blackhole mid-call: both sides show the call is interrupted, the place is held, and the call comes back by itself',
  SCENARIO,
  async () => {
    const s = scenario(createTopology({ prefix: PREFIX, homes: [home('a', 'symmetric'), home('b', 'symmetric')] }));
    try {
      const url = await s.startHomecall({ args: SERVER_ARGS });
      const [a, b] = await s.call(url, ['a', 'b']);
      const pageErrors = collectPageErrors([a, b]);
      await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      await Promise.all([recordToasts(a), recordToasts(b)]);
      const [markA, markB] = await Promise.all([recordLinkStates(a), recordLinkStates(b)]);
      const links = [a.url(), b.url()];

      blackhole(s.topology, 'b', true);
      // b, cut off: its own liveness gives up on the silent socket and says so in the banner
      // (no close ever arrives from the server); its media link breaks.
      await waitForSignal(b, 'offline');
      await b.getByTestId('signal-banner').waitFor({ timeout: SHOWN_TIMEOUT_MS });
      await waitForLinkState(b, ['disconnected', 'failed'], markB);
      // a, still online: the server noticed b's silence (heartbeat) and holds b's place; a is
      // told the other person lost connection, and its media link breaks too.
      await waitForToast(a, 'peerAway');
      await waitForLinkState(a, ['disconnected', 'failed'], markA);
      assert.equal(await signalOf(a), 'online');
      for (const page of [a, b]) {
        // Still the call: no ended or refused screen, same link.
        assert.equal(await dataState(page), 'active');
      }

      blackhole(s.topology, 'b', false);
      // Nobody presses anything: b resumes its held place, a is told it is back, media flows again.
      await waitForSignal(b, 'online', RECOVERY_TIMEOUT_MS);
      await waitForToast(a, 'peerBack', RECOVERY_TIMEOUT_MS);
      await waitForPcState(a, ['connected'], RECOVERY_TIMEOUT_MS);
      await waitForPcState(b, ['connected'], RECOVERY_TIMEOUT_MS);
      await Promise.all([a, b].map((p) => expectMediaFlowing(p, {}, RECOVERY_TIMEOUT_MS)));
      // Each screen shows the other person moving again (the connection may have been rebuilt).
      await Promise.all([a, b].map((p) => expectPictureShown(p, RECOVERY_TIMEOUT_MS)));
      assert.equal(await b.getByTestId('signal-banner').count(), 0, 'the banner is gone');
      assert.deepEqual([a.url(), b.url()], links, 'both pages are still on the same call');
      for (const page of [a, b]) assert.equal(await dataState(page), 'active');
      assert.deepEqual(pageErrors, [], 'no uncaught error in either page');
    } finally {
      await s.close();
    }
  },
);
