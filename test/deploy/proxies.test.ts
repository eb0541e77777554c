// The reverse-proxy recipes of deploy/ with Debian's nginx and caddy (issue 10), each file run as
// it is with only its names, addresses and certificate paths replaced for loopback: a
// two-browser call through each with media both ways, and /signal through each refused when
// HomeCall is started without --trust-proxy. One browser and two HomeCall servers (trusting and
// not trusting the proxy) serve every recipe, so the tier stays light on a busy machine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectMediaFlowing, launchBrowser, newCallContext } from '../e2e/helpers/browser.js';
import { answerLink, makeLink } from '../e2e/helpers/call.js';
import { ensureWebBuild } from '../e2e/helpers/server.js';
import { startCaddy } from '../helpers/caddy.js';
import { tryUpgrade } from '../helpers/client.js';
import { freePort } from '../helpers/free-port.js';
import { readRecipe, startNginx, stopAllNginx } from '../helpers/nginx.js';
import { type ChildServer, REPO_ROOT, spawnServer, stopAllServers } from '../helpers/server.js';
import { tlsFiles } from '../helpers/tls.js';

interface Stoppable {
  stop(): Promise<void>;
  /** The proxy's access log so far, for a recipe that writes one. */
  accessLog?(): string;
}

interface Recipe {
  name: string;
  /** Starts the recipe's proxy on 127.0.0.1:`port` (TLS) in front of HomeCall on `upstreamPort`. */
  start(port: number, upstreamPort: number): Promise<Stoppable>;
}

const RECIPES: readonly Recipe[] = [
  {
    name: 'nginx with deploy/nginx/homecall.conf',
    async start(port, upstreamPort) {
      const tls = await tlsFiles();
      const redirectPort = await freePort();
      return startNginx({
        port,
        site: (p, dir) =>
          readRecipe(join(REPO_ROOT, 'deploy/nginx/homecall.conf'), {
            '/var/log/nginx/homecall.access.log': join(dir, 'access.log'),
            'listen 443 ssl http2;': `listen 127.0.0.1:${p} ssl http2;`,
            'listen 80;': `listen 127.0.0.1:${redirectPort};`,
            '/etc/letsencrypt/live/call.example.org/fullchain.pem': tls.certPath,
            '/etc/letsencrypt/live/call.example.org/privkey.pem': tls.keyPath,
            'http://127.0.0.1:8443': `http://127.0.0.1:${upstreamPort}`,
          }),
      });
    },
  },
  {
    name: 'Caddy with deploy/caddy/Caddyfile',
    start: (port, upstreamPort) =>
      startCaddy(join(REPO_ROOT, 'deploy/caddy/Caddyfile'), port, {
        // The site name becomes the test's loopback address (Caddy's internal CA issues for it).
        'call.example.org {': `https://127.0.0.1:${port} {`,
        '127.0.0.1:8443': `127.0.0.1:${upstreamPort}`,
      }),
  },
];

/** Generous bounds for a loaded 2-core machine; they only bound waits. */
const START_MS = 120_000;
const CALL_MS = 90_000;

const proxies: Stoppable[] = [];
const contexts: BrowserContext[] = [];
const callPorts = new Map<string, number>();
let browser: Browser;
let trusting: ChildServer;
let notTrusting: ChildServer;

before(async () => {
  ensureWebBuild();
  for (const recipe of RECIPES) callPorts.set(recipe.name, await freePort());
  // nginx's `Host $host` drops the port; on 443 it is the origin, on a test port it is not.
  const origins = [...callPorts.values()].map((p) => `https://127.0.0.1:${p}`).join(',');
  const flags = {
    '--allowed-origins': origins,
    '--log-level': 'info',
    // The product's own timeouts, not the suite's short ones: a browser on a busy machine may
    // take over a second to answer a ping.
    '--join-timeout': '10s',
    '--ping-interval': '15s',
    '--drop-after': '30s',
    '--grace': '30s',
  };
  [trusting, notTrusting] = await Promise.all([
    spawnServer({ ...flags, '--trust-proxy': '' }, { readyTimeoutMs: START_MS }),
    spawnServer(flags, { readyTimeoutMs: START_MS }),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await Promise.allSettled(proxies.map((p) => p.stop()));
  await stopAllNginx();
  await stopAllServers();
});

async function page(): Promise<Page> {
  const context = await newCallContext(browser);
  contexts.push(context);
  return context.newPage();
}

for (const recipe of RECIPES) {
  describe(`${recipe.name} in front of HomeCall`, { timeout: 300_000 }, () => {
    test('a two-browser call through it: both active, video decodes and audio arrives both ways', async () => {
      const port = callPorts.get(recipe.name) ?? 0;
      const proxy = await recipe.start(port, trusting.port);
      proxies.push(proxy);
      const origin = `https://127.0.0.1:${port}`;
      assert.equal((await tryUpgrade(`wss://127.0.0.1:${port}/signal`)).status, 101, 'the proxy passes /signal');
      const alice = await page();
      const link = await makeLink(alice, origin, CALL_MS);
      assert.ok(link.startsWith(`${origin}/?session=`), `the invite link names the proxy: ${link}`);
      const bob = await page();
      await answerLink(bob, link, alice, CALL_MS);
      await Promise.all([expectMediaFlowing(alice, {}, CALL_MS), expectMediaFlowing(bob, {}, CALL_MS)]);
      await Promise.all([alice.context().close(), bob.context().close()]);
      if (proxy.accessLog) {
        // The session id is the call's only credential: it must not reach a file on the proxy.
        const sessionId = new URL(link).searchParams.get('session') ?? '';
        for (let i = 0; i < 50 && !/"GET \/ HTTP/.test(proxy.accessLog()); i++) await sleep(100);
        const log = proxy.accessLog();
        assert.match(log, /"GET \/ HTTP/, 'the access log holds the page requests');
        assert.ok(sessionId.length > 0 && !log.includes(sessionId), 'the session id reached the access log');
      }
    });

    test('/signal through it is refused (426) when HomeCall is started without --trust-proxy', async () => {
      const port = await freePort();
      proxies.push(await recipe.start(port, notTrusting.port));
      const refused = await tryUpgrade(`wss://127.0.0.1:${port}/signal`);
      assert.equal(refused.status, 426, JSON.stringify(refused));
    });
  });
}
