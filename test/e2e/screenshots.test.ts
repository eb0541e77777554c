import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  expectMediaFlowing,
  hangUp,
  launchBrowser,
  newCallContext,
  PHONE,
  waitForState,
} from './helpers/browser.js';
import { en } from '../../src/web/i18n/en.js';
import { ru } from '../../src/web/i18n/ru.js';
import { ensureWebBuild, REPO, type RunningServer, startServer } from './helpers/server.js';

// Every screen at small-phone, phone, landscape-phone, tablet and desktop size, in Russian and English. Each screen is also checked
// for what an elderly user needs on a 360-px phone: nothing wider than the screen, big targets,
// accessible names, no text inputs. `HOMECALL_SCREENSHOTS=docs` writes into docs/screenshots
// (what the README shows); otherwise they go to test-results/screenshots.

const OUT =
  process.env.HOMECALL_SCREENSHOTS === 'docs'
    ? resolve(REPO, 'docs/screenshots')
    : resolve(REPO, 'test-results/screenshots');
const SIZES = {
  small: { width: 320, height: 568 },
  phone: PHONE,
  landscape: { width: 740, height: 360 },
  tablet: { width: 768, height: 1024 },
  desktop: DESKTOP,
} as const;

let server: RunningServer;
let browser: Browser;

before(async () => {
  ensureWebBuild();
  mkdirSync(OUT, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Large targets, names, no typing, no sideways scrolling. */
async function checkScreen(page: Page, name: string, minTarget: number): Promise<void> {
  const report = await page.evaluate(() => {
    const buttons = [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null);
    return {
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      inputs: document.querySelectorAll(
        'input:not([type=hidden]), textarea, [contenteditable=""], [contenteditable=true]',
      ).length,
      // A button cut off by the screen edge or by its own box (text that does not fit).
      clipped: buttons
        .filter((b) => {
          const r = b.getBoundingClientRect();
          return r.left < 0 || r.right > window.innerWidth + 0.5 || b.scrollWidth > b.clientWidth + 1;
        })
        .map((b) => b.dataset.testid ?? b.textContent),
      unnamed: buttons.filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length,
      smallest: buttons
        .filter((b) => !b.classList.contains('toast'))
        .map((b) => ({
          name: b.dataset.testid ?? b.textContent ?? '',
          size: Math.min(b.getBoundingClientRect().width, b.getBoundingClientRect().height),
        }))
        .reduce((a, b) => (b.size < a.size ? b : a), { name: '', size: Number.POSITIVE_INFINITY }),
    };
  });
  assert.ok(report.overflow <= 0, `${name}: content is wider than the screen by ${report.overflow}px`);
  assert.deepEqual(report.clipped, [], `${name}: buttons cut off`);
  assert.equal(report.inputs, 0, `${name}: text inputs`);
  assert.equal(report.unnamed, 0, `${name}: buttons without a name`);
  assert.ok(
    report.smallest.size >= minTarget,
    `${name}: the button ${report.smallest.name} is only ${report.smallest.size}px`,
  );
}

async function shoot(page: Page, lang: string, screen: string, minTarget = 56): Promise<void> {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    await checkScreen(page, `${lang}/${size}/${screen}`, minTarget);
    await page.screenshot({ path: resolve(OUT, `${lang}-${size}-${screen}.png`) });
  }
}

async function dismissToasts(page: Page): Promise<void> {
  for (const t of await page.locator('.toast').all()) await t.click().catch(() => {});
}

for (const [lang, locale] of [
  ['ru', 'ru-RU'],
  ['en', 'en-US'],
] as const) {
  describe(`screens in ${lang}`, { timeout: 120_000 }, () => {
    test(`every screen at phone and desktop size (${lang})`, async () => {
      const aliceCtx = await newCallContext(browser, {
        locale,
        serviceWorkers: 'allow',
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      const bobCtx = await newCallContext(browser, { locale });
      const alice = await aliceCtx.newPage();
      const bob = await bobCtx.newPage();
      // The server's CSP forbids inline styles and every inline script but the page's own entry
      // (allowed by its hash): the app must not trip over it.
      const cspViolations: string[] = [];
      for (const p of [alice, bob]) {
        p.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
      }

      await alice.goto(`${server.url}/`);
      await waitForState(alice, 'ready');
      assert.equal(await alice.getByTestId('cta-connect').textContent(), lang === 'ru' ? 'Связать' : 'Connect');
      await shoot(alice, lang, 'home', 64);

      await alice.getByTestId('open-settings').click();
      await alice.getByTestId('settings-panel').waitFor();
      await shoot(alice, lang, 'settings');
      // The language choice is live: switch to the other language and back.
      const [other, otherCta] = lang === 'ru' ? ['English', 'Connect'] : ['Русский', 'Связать'];
      await alice.getByTestId('settings-panel').getByRole('button', { name: other }).click();
      assert.equal(await alice.getByTestId('cta-connect').textContent(), otherCta);
      await alice
        .getByTestId('settings-panel')
        .getByRole('button', { name: lang === 'ru' ? 'Русский' : 'English' })
        .click();
      await alice.keyboard.press('Escape');
      await alice.getByTestId('settings-panel').waitFor({ state: 'detached' });

      await alice.getByTestId('cta-connect').click();
      await waitForState(alice, 'waiting');
      await alice.locator('img.qr').waitFor();
      await shoot(alice, lang, 'waiting');

      const link = (await alice.getByTestId('invite-url').textContent())?.trim() ?? '';
      // «Копировать» puts exactly the invite link on the clipboard and says so in a toast.
      await alice.getByTestId('copy-link').click();
      await alice
        .getByTestId('toast')
        .getByText(lang === 'ru' ? 'Ссылка скопирована' : 'Link copied')
        .waitFor();
      assert.equal(await alice.evaluate(() => navigator.clipboard.readText()), link);
      await bob.goto(link);
      await Promise.all([waitForState(alice, 'active'), waitForState(bob, 'active')]);
      await expectMediaFlowing(bob);
      await bob.getByTestId('toggle-mic').click();
      // Mute state travels over the data channel: Alice is told Bob's microphone is off.
      await alice.getByText((lang === 'ru' ? ru : en).remoteMicOff).waitFor({ timeout: 30_000 });
      await dismissToasts(bob);
      await shoot(bob, lang, 'active');

      const carolCtx = await newCallContext(browser, { locale });
      const carol = await carolCtx.newPage();
      await carol.goto(link);
      await waitForState(carol, 'error');
      await shoot(carol, lang, 'refused', 64);

      await hangUp(bob);
      await waitForState(alice, 'ended');
      await dismissToasts(alice);
      await shoot(alice, lang, 'ended', 64);

      await carol.goto(`${server.url}/?session=12345`);
      await waitForState(carol, 'error');
      await shoot(carol, lang, 'not-found', 64);

      // PWA: the service worker registered and precached the shell the build listed.
      const cached = await alice.evaluate(async () => {
        const ready = navigator.serviceWorker.ready.then(() => true);
        if (!(await Promise.race([ready, new Promise((r) => setTimeout(() => r(false), 10_000))])))
          return ['no service worker'];
        const keys = await caches.keys();
        const cache = await caches.open(keys.find((k) => k.startsWith('homecall-')) ?? 'none');
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
      });
      assert.ok(
        cached.includes('/') && cached.includes('/manifest.webmanifest') && cached.some((p) => p.endsWith('.js')),
        JSON.stringify(cached),
      );

      assert.deepEqual(cspViolations, []);
      await aliceCtx.close();
      await bobCtx.close();
      await carolCtx.close();
    });
  });
}
