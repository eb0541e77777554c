// The tests every reverse-proxy recipe in deploy/ gets (issue 10): a two-browser call through
// the proxy with media both ways, and /signal through it refused when HomeCall does not trust
// the proxy. Each proxy's test file gives only how to start its recipe.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectMediaFlowing, launchBrowser, newCallContext, waitForState } from '../e2e/helpers/browser.js';
import { ensureWebBuild } from '../e2e/helpers/server.js';
import { tryUpgrade } from '../helpers/client.js';
import { freePort } from '../helpers/nginx.js';
import { type ChildServer, spawnServer, stopAllServers } from '../helpers/server.js';

export interface StartedProxy {
  stop(): Promise<void>;
}

/** Starts the recipe's proxy on 127.0.0.1:`port` (TLS) in front of HomeCall on `upstreamPort`. */
export type StartProxy = (port: number, upstreamPort: number) => Promise<StartedProxy>;

/** HomeCall on loopback as the recipes run it (plain HTTP from the proxy). */
function homecall(proxyOrigin: string, trustProxy: boolean): Promise<ChildServer> {
  return spawnServer({
    ...(trustProxy ? { '--trust-proxy': '' } : {}),
    // nginx's `Host $host` drops the port; on 443 it is the origin, on a test port it is not.
    '--allowed-origins': proxyOrigin,
    '--log-level': 'info',
  });
}

export function proxyRecipeSuite(name: string, startProxy: StartProxy): void {
  describe(`${name} in front of HomeCall`, { timeout: 240_000 }, () => {
    const proxies: StartedProxy[] = [];
    const contexts: BrowserContext[] = [];
    let browser: Browser | undefined;
    after(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await Promise.allSettled(proxies.map((p) => p.stop()));
      await stopAllServers();
    });

    async function behindProxy(trustProxy: boolean): Promise<string> {
      const port = await freePort();
      const origin = `https://127.0.0.1:${port}`;
      const server = await homecall(origin, trustProxy);
      proxies.push(await startProxy(port, server.port));
      return origin;
    }

    async function page(): Promise<Page> {
      browser ??= await launchBrowser();
      const context = await newCallContext(browser);
      contexts.push(context);
      return context.newPage();
    }

    test('a two-browser call through it: both active, video decodes and audio arrives both ways', async () => {
      ensureWebBuild();
      const origin = await behindProxy(true);
      assert.equal((await tryUpgrade(`${origin.replace('https:', 'wss:')}/signal`)).status, 101);
      const alice = await page();
      await alice.goto(`${origin}/`);
      await waitForState(alice, 'ready');
      await alice.getByTestId('cta-connect').click();
      await waitForState(alice, 'waiting');
      const link = (await alice.getByTestId('invite-url').textContent())?.trim() ?? '';
      assert.ok(link.startsWith(`${origin}/?session=`), `the invite link names the proxy: ${link}`);
      const bob = await page();
      await bob.goto(link);
      await Promise.all([waitForState(alice, 'active', 40_000), waitForState(bob, 'active', 40_000)]);
      await Promise.all([expectMediaFlowing(alice, {}, 40_000), expectMediaFlowing(bob, {}, 40_000)]);
    });

    test('/signal through it is refused (426) when HomeCall is started without --trust-proxy', async () => {
      const origin = await behindProxy(false);
      const refused = await tryUpgrade(`${origin.replace('https:', 'wss:')}/signal`);
      assert.equal(refused.status, 426, JSON.stringify(refused));
    });
  });
}
