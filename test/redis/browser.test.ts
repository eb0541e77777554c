// Two Chromium pages through the README's nginx recipe in front of two nodes sharing one Redis,
// each page forced onto its own node: media flows both ways (decoded frames via getStats), then
// the node of one page is killed (SIGKILL) mid-call and the call goes on; hangup still ends both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectMediaFlowing, hangUp, launchBrowser, newCallContext, waitForState } from '../e2e/helpers/browser.js';
import { answerLink, makeLink } from '../e2e/helpers/call.js';
import { ensureWebBuild } from '../e2e/helpers/server.js';
import { type Cluster, hintPerNode, metricValue } from '../helpers/cluster.js';
import { type Nginx, stopAllNginx } from '../helpers/nginx.js';
import { type NginxCluster, startNginxCluster } from '../helpers/nginx-cluster.js';
import { stopAllRedis } from '../helpers/redis.js';
import { type ChildServer, stopAllServers } from '../helpers/server.js';

let cluster: Cluster;
let nginx: Nginx;
let probe: NginxCluster['probe'];
let browser: Browser;
const contexts: BrowserContext[] = [];
const STATE_MS = 60_000;

before(async () => {
  ensureWebBuild();
  ({ cluster, nginx, probe } = await startNginxCluster({
    '--grace': '30s',
    // Media between two loopback pages needs no relay; a TURN server on the killed node is not the point here.
    '--builtin-turn': 'false',
  }));
  browser = await launchBrowser();
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stopAllNginx();
  await stopAllServers();
  await stopAllRedis();
});

/**
 * A page whose signalling WebSocket carries `hint` instead of its session's own, so nginx's
 * consistent hash sends it to the node of our choice (test-only; the app is unchanged).
 */
async function pageOn(hint: string): Promise<Page> {
  const context = await newCallContext(browser);
  contexts.push(context);
  await context.addInitScript((forced: string) => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        const u = new URL(url, location.href);
        if (u.pathname === '/signal') u.searchParams.set('k', forced);
        super(u.href, protocols);
      }
    };
    // Every change of the signalling state, in order: a reconnect to the surviving node may be
    // too quick for a locator to ever see the lost state.
    const seen: string[] = [];
    (window as unknown as { __signal: string[] }).__signal = seen;
    new MutationObserver(() => {
      const state = document.querySelector('#app > .app')?.getAttribute('data-signal');
      if (state && seen[seen.length - 1] !== state) seen.push(state);
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-signal'] });
  }, hint);
  return context.newPage();
}

/** Waits until the page's signalling was lost (connecting or offline) and then online again. */
async function reconnected(page: Page, from: number): Promise<void> {
  await page.waitForFunction(
    (start: number) => {
      const seen = (window as unknown as { __signal: string[] }).__signal.slice(start);
      const lost = seen.findIndex((state) => state !== 'online');
      return lost >= 0 && seen.indexOf('online', lost) > lost;
    },
    from,
    { timeout: STATE_MS, polling: 200 },
  );
}

const signalChanges = (page: Page) =>
  page.evaluate(() => (window as unknown as { __signal: string[] }).__signal.length);

test('two pages on two nodes through nginx: media both ways; the node of one page dies and the call goes on', {
  timeout: 300_000,
}, async () => {
  const [h1, h2] = (await hintPerNode(cluster.nodes, probe)) as [string, string];
  const [n1, n2] = cluster.nodes as [ChildServer, ChildServer];
  const crossBefore = await Promise.all([n1, n2].map((n) => metricValue(n, 'homecall_cross_node_frames_total')));

  const alice = await pageOn(h1);
  const link = await makeLink(alice, nginx.url.replace(/\/$/, ''), STATE_MS);
  assert.ok(link.startsWith(nginx.url), link);
  const bob = await pageOn(h2);
  await answerLink(bob, link, alice, STATE_MS);
  await Promise.all([expectMediaFlowing(alice, {}, STATE_MS), expectMediaFlowing(bob, {}, STATE_MS)]);
  // The negotiation crossed nodes both ways: each node relayed frames to the other.
  const crossAfter = await Promise.all([n1, n2].map((n) => metricValue(n, 'homecall_cross_node_frames_total')));
  for (const i of [0, 1])
    assert.ok((crossAfter[i] as number) > (crossBefore[i] as number), `node ${i + 1}: ${crossAfter}`);

  // Bob's node dies mid-call: media is peer-to-peer and carries on; Bob's signalling comes back
  // through nginx on the surviving node and resumes his place.
  const before = await signalChanges(bob);
  n2.kill('SIGKILL');
  await n2.exited;
  await Promise.all([expectMediaFlowing(alice, {}, STATE_MS), expectMediaFlowing(bob, {}, STATE_MS)]);
  await reconnected(bob, before);
  await bob.locator('.app[data-signal="online"]').waitFor({ timeout: STATE_MS });
  assert.equal(await alice.locator('.app').getAttribute('data-state'), 'active');
  assert.equal(await bob.locator('.app').getAttribute('data-state'), 'active');
  await Promise.all([expectMediaFlowing(alice, {}, STATE_MS), expectMediaFlowing(bob, {}, STATE_MS)]);

  // Signalling works after the failover: Bob's hangup reaches Alice.
  await hangUp(bob);
  await Promise.all([waitForState(alice, 'ended', STATE_MS), waitForState(bob, 'ended', STATE_MS)]);
  assert.match((await alice.getByTestId('reason').textContent()) ?? '', /Собеседник завершил/);

  // The invite link was opened through nginx; its session id is not in nginx's log.
  const sessionId = new URL(link).searchParams.get('session') ?? '';
  assert.match(sessionId, /^[0-9a-f-]{36}$/);
  assert.ok(!nginx.accessLog().includes(sessionId), 'the session id reached the access log');
});
