import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  expectMediaFlowing,
  expectPictureShown,
  hangUp,
  peerConnectionCount,
  waitForState,
} from './helpers/browser.js';
import { answerLink, makeLink, useBrowserSuite } from './helpers/call.js';
import { startTcpProxy } from './helpers/server.js';

// Two independent browser contexts, "alice" and "bob", with fake camera and microphone,
// against the real server. Every scenario proves media flows by reading getStats().

const suite = useBrowserSuite();

/** Counts the page's signalling sockets, the joins it sent and the pongs it got (window.__signal). */
const RECORD_SIGNALLING = `(() => {
  const Native = window.WebSocket;
  const counts = { sockets: 0, joins: 0, pongs: 0 };
  window.__signal = counts;
  const typeOf = (d) => { try { return typeof d === 'string' ? JSON.parse(d).type : null; } catch { return null; } };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      counts.sockets++;
      this.addEventListener('message', (e) => { if (typeOf(e.data) === 'pong') counts.pongs++; });
    }
    send(data) {
      if (typeOf(data) === 'join') counts.joins++;
      super.send(data);
    }
  };
})();`;

type SignalCounts = { sockets: number; joins: number; pongs: number };
const signalCounts = (p: Page) =>
  p.evaluate(() => (window as unknown as { __signal: SignalCounts }).__signal as SignalCounts);

/** Polls the page until `ok` holds for its signalling counts (bounded; a wait, not an assertion). */
async function waitForSignal(p: Page, what: string, ok: (c: SignalCounts) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let c = await signalCounts(p);
  while (!ok(c)) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms (${JSON.stringify(c)})`);
    await p.waitForTimeout(100);
    c = await signalCounts(p);
  }
  return c;
}

async function page(): Promise<Page> {
  const p = await suite.pages.page({ initScript: RECORD_SIGNALLING });
  const n = suite.pages.opened;
  // The app's own warnings, to make a failure readable.
  p.on('console', (m) => m.text().startsWith('[homecall]') && console.log(`[page ${n}] ${m.text()}`));
  return p;
}

/** Alice presses «Связать»; Bob opens the invite link from her screen. Both reach active. */
async function startCall(bobBase?: string): Promise<{ alice: Page; bob: Page; link: string }> {
  const alice = await page();
  const link = await makeLink(alice, suite.server.url);
  assert.match(link, /^https:\/\/127\.0\.0\.1:\d+\/\?session=[0-9a-f-]{36}$/);
  const bob = await page();
  await answerLink(bob, bobBase ? link.replace(suite.server.url, bobBase) : link, alice);
  return { alice, bob, link };
}

async function closePages(...pages: Page[]): Promise<void> {
  for (const p of pages) await p.context().close();
}

describe('a call between two browsers', { timeout: 420_000 }, () => {
  test('1: A presses «Связать», B opens the link: both active, video decodes and audio arrives both ways', async () => {
    const { alice, bob } = await startCall();
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    // And each screen shows the other person moving, not only frames decoded somewhere.
    await Promise.all([expectPictureShown(alice), expectPictureShown(bob)]);
    await closePages(alice, bob);
  });

  test('2: A hangs up: both ended quickly, and the same link then starts a fresh session', async () => {
    const { alice, bob, link } = await startCall();
    const t0 = Date.now();
    await hangUp(alice);
    await Promise.all([waitForState(alice, 'ended', 3_000), waitForState(bob, 'ended', 3_000)]);
    const elapsed = Date.now() - t0;
    // The issue asks for "within a second"; the bound is 3 s so a loaded CI machine does not flake.
    console.log(`hangup reached both sides in ${elapsed} ms`);
    assert.match((await bob.getByTestId('reason').textContent()) ?? '', /Собеседник завершил/);
    assert.match((await alice.getByTestId('reason').textContent()) ?? '', /Вы завершили/);
    // Same link again: a fresh session (waiting, not "ended" or "full"), and a new call connects.
    await alice.goto(link);
    await waitForState(alice, 'waiting');
    await bob.goto(link);
    await Promise.all([waitForState(alice, 'active'), waitForState(bob, 'active')]);
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    await closePages(alice, bob);
  });

  test('3: a third page with the link is refused in plain words, and the call goes on', async () => {
    const { alice, bob, link } = await startCall();
    const carol = await page();
    await carol.goto(link);
    await waitForState(carol, 'error');
    assert.match((await carol.getByTestId('reason').textContent()) ?? '', /уже двое участников/);
    await carol.getByTestId('return-home').waitFor();
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    assert.equal(await alice.locator('.app').getAttribute('data-state'), 'active');
    await closePages(alice, bob, carol);
  });

  test('4: B reloads mid-call: the call comes back without A doing anything', async () => {
    const { alice, bob } = await startCall();
    await expectMediaFlowing(alice);
    await bob.reload();
    await Promise.all([waitForState(alice, 'active'), waitForState(bob, 'active')]);
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    // A rebuilt the connection for B's new page: its screen shows B's new picture.
    await Promise.all([expectPictureShown(alice), expectPictureShown(bob)]);
    await closePages(alice, bob);
  });

  test("5: B's signalling drops mid-call: media keeps flowing, signalling resumes, hangup still works", async () => {
    const proxy = await startTcpProxy(suite.server.port);
    try {
      const { alice, bob } = await startCall(proxy.url);
      await expectMediaFlowing(bob);
      const pcs = [await peerConnectionCount(alice), await peerConnectionCount(bob)];
      proxy.cutAll();
      await bob.locator('.app[data-signal="offline"]').waitFor({ timeout: 10_000 });
      await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
      await bob.locator('.app[data-signal="online"]').waitFor({ timeout: 20_000 });
      assert.equal(await alice.locator('.app').getAttribute('data-state'), 'active');
      // B resumed its place: the same peer connections carry on, nothing was renegotiated from scratch.
      await expectMediaFlowing(bob);
      assert.deepEqual([await peerConnectionCount(alice), await peerConnectionCount(bob)], pcs);
      await hangUp(bob);
      await Promise.all([waitForState(alice, 'ended', 3_000), waitForState(bob, 'ended', 3_000)]);
      await closePages(alice, bob);
    } finally {
      await proxy.close();
    }
  });

  test("5b: B's signalling stays down: B's hangup still reaches A, over the data channel", async () => {
    const proxy = await startTcpProxy(suite.server.port);
    try {
      const { alice, bob } = await startCall(proxy.url);
      await expectMediaFlowing(bob);
      proxy.block(true);
      proxy.cutAll();
      await bob.locator('.app[data-signal="offline"]').waitFor({ timeout: 10_000 });
      await hangUp(bob);
      await Promise.all([waitForState(alice, 'ended', 3_000), waitForState(bob, 'ended', 3_000)]);
      assert.match((await alice.getByTestId('reason').textContent()) ?? '', /Собеседник завершил/);
      await closePages(alice, bob);
    } finally {
      await proxy.close();
    }
  });

  test('7: the server is busy for seconds mid-call (its process frozen): nobody drops or resumes, media flows on', async () => {
    const { alice, bob } = await startCall();
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    const pages = [alice, bob];
    const pcs = await Promise.all(pages.map(peerConnectionCount));
    const before = await Promise.all(pages.map(signalCounts));
    assert.deepEqual(
      before.map((c) => c.joins),
      [1, 1],
    );
    suite.server.pause();
    try {
      // Frozen until both clients have missed their pong deadline (each opened a probe socket):
      // the freeze lasts longer than the deadline, whatever the machine's load.
      await Promise.all(
        pages.map((p, i) =>
          waitForSignal(p, 'a probe after the missed deadline', (c) => c.sockets > before[i]!.sockets),
        ),
      );
    } finally {
      suite.server.resume();
    }
    // The server answers again; two more rounds of ping and pong on each page, so any reconnect
    // the freeze set off has had its chance to show.
    const answered = await Promise.all(
      pages.map((p, i) => waitForSignal(p, 'answers after the freeze', (c) => c.pongs > before[i]!.pongs)),
    );
    const after = await Promise.all(
      pages.map((p, i) => waitForSignal(p, 'two more answers', (c) => c.pongs >= answered[i]!.pongs + 2)),
    );
    assert.deepEqual(
      after.map((c) => c.joins),
      [1, 1],
      'no client gave up its socket and resumed (no reconnect storm from a busy server)',
    );
    for (const p of pages) assert.equal(await p.locator('.app').getAttribute('data-signal'), 'online');
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    assert.deepEqual(await Promise.all(pages.map(peerConnectionCount)), pcs);
    // Signalling still carries the call: a hangup reaches the other side.
    await hangUp(alice);
    await Promise.all([waitForState(alice, 'ended', 3_000), waitForState(bob, 'ended', 3_000)]);
    await closePages(alice, bob);
  });

  test('6: the server restarts mid-call: media keeps flowing; afterwards hangup still ends both sides', async () => {
    const { alice, bob } = await startCall();
    await expectMediaFlowing(alice);
    const pcs = [await peerConnectionCount(alice), await peerConnectionCount(bob)];
    await suite.stopServer();
    await Promise.all([
      alice.locator('.app[data-signal="offline"]').waitFor({ timeout: 10_000 }),
      bob.locator('.app[data-signal="offline"]').waitFor({ timeout: 10_000 }),
    ]);
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    await suite.restartServer();
    await Promise.all([
      alice.locator('.app[data-signal="online"]').waitFor({ timeout: 30_000 }),
      bob.locator('.app[data-signal="online"]').waitFor({ timeout: 30_000 }),
    ]);
    await Promise.all([expectMediaFlowing(alice), expectMediaFlowing(bob)]);
    // Both resumed their places in the restored context (rule 7): the same connections carry on.
    assert.deepEqual([await peerConnectionCount(alice), await peerConnectionCount(bob)], pcs);
    await hangUp(alice);
    await Promise.all([waitForState(alice, 'ended', 3_000), waitForState(bob, 'ended', 3_000)]);
    await closePages(alice, bob);
  });
});
