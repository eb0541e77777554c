import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { translator } from '../../src/web/i18n/i18n.js';
import { expectMediaFlowing, launchBrowser, waitForState } from '../e2e/helpers/browser.js';
import { makeLink, SLOW, useBrowserSuite } from '../e2e/helpers/call.js';
import { LANGS } from './helpers/langs.js';
import { checkScreen } from './helpers/layout.js';

// Help that stays until the problem is solved: screens and banners, not toasts. Every help
// screen is checked in both languages, its words compared with the app's own dictionaries.

const suite = useBrowserSuite();

/** Alice presses «Связать» in a normal browser; returns her page and the invite link. */
async function aliceWaiting(on?: Browser): Promise<{ alice: Page; link: string }> {
  const alice = await suite.pages.page({ on });
  const link = await makeLink(alice, suite.server.url);
  return { alice, link };
}

const ANDROID =
  'Mozilla/5.0 (Linux; Android 13; SM-A515F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
/** Each messenger: its name as the screen says it (Russian, then English), and its user agent. */
const MESSENGERS: [string, string, string?][] = [
  ['Telegram', `${ANDROID} Telegram-Android/10.5.0 (Samsung SM-A515F; Android 13; SDK 33; AVERAGE)`],
  ['WhatsApp', `${ANDROID} WhatsApp/2.23.20.76`],
  ['Viber', `${ANDROID} Viber/20.5.0.2`],
  ['VK', `${ANDROID} VKAndroidApp/8.52-16017 (Android 13; SDK 33; arm64-v8a; Samsung; ru; 2340x1080)`],
  ['Одноклассники', `${ANDROID} OKApp/23.10.2`, 'Odnoklassniki'],
  ['Facebook', `${IPHONE} [FBAN/FBIOS;FBAV/440.0.0.32.110;FBBV/538000000]`],
  ['Instagram', `${IPHONE} Instagram 307.0.0.34.111 (iPhone14,5; iOS 17_1; ru_RU; ru)`],
];

describe('help that stays until the problem is solved', { timeout: 600_000, concurrency: 1 }, () => {
  for (const { lang, locale } of LANGS) {
    test(`a link opened in a messenger (${lang}): a screen that says so, the link ready to copy, no join until asked`, async () => {
      const t = translator(lang);
      const { alice, link } = await aliceWaiting();
      for (const [ruName, userAgent, enName] of MESSENGERS) {
        const name = lang === 'en' ? (enName ?? ruName) : ruName;
        const ctx = suite.pages.track(
          await suite.browser.newContext({
            ignoreHTTPSErrors: true,
            locale,
            userAgent,
            viewport: { width: 360, height: 740 },
          }),
        );
        await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
        const page = await ctx.newPage();
        await page.goto(link);
        const screen = page.getByTestId('in-app-browser');
        await screen.waitFor();
        const text = (await screen.textContent()) ?? '';
        assert.ok(text.includes(t('inAppTitle')), `${name}: the title in ${lang}: ${text}`);
        assert.ok(text.includes(t('inAppText', { app: name })), `${name}: the screen names the app: ${text}`);
        assert.equal((await page.getByTestId('invite-url').textContent())?.trim(), link);
        if (name === 'Telegram') {
          await checkScreen(page, `opened in a messenger (${lang})`);
          await page.getByTestId('copy-link').click();
          assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
          // Nobody joined: Alice is still alone, waiting.
          assert.equal(await alice.getByTestId('share-link').count(), 1);
          await page.getByTestId('stay-in-app').click();
          await Promise.all([waitForState(page, 'active', SLOW), waitForState(alice, 'active', SLOW)]);
        }
        await ctx.close();
      }
    });
  }

  test('camera and microphone refused: a help screen; receive-only; after allowing, «Попробовать снова» brings the camera into the call', async () => {
    const denied = await launchBrowser({ fakeUi: false });
    try {
      const { alice, link } = await aliceWaiting();
      const bobCtx = await suite.pages.context({ on: denied });
      const bob = await bobCtx.newPage();
      await bob.goto(link);
      const help = bob.getByTestId('media-help');
      await help.waitFor({ timeout: SLOW });
      assert.equal(await help.getAttribute('data-browser'), 'desktop-chrome');
      assert.equal(await bob.locator('.help-drawing').count(), 1, 'a drawing of where to tap');
      await checkScreen(bob, 'camera refused (ru)');
      // It stays: still there once the call itself is up behind it.
      await waitForState(alice, 'active', SLOW);
      assert.equal(await help.count(), 1);

      // Go on without camera and microphone: the call is receive-only.
      await bob.getByTestId('receive-only').click();
      await waitForState(bob, 'active', SLOW);
      await expectMediaFlowing(bob, {}, SLOW);
      // A control with nothing behind it brings the help back.
      await bob.getByTestId('toggle-camera').click();
      await help.waitFor();

      // The user allows the camera and microphone in the browser, then presses «Попробовать снова».
      await bobCtx.grantPermissions(['camera', 'microphone'], { origin: suite.server.url });
      await bob.getByTestId('retry-media').click();
      await help.waitFor({ state: 'detached', timeout: 30_000 });
      await waitForState(bob, 'active', SLOW);
      const live = await bob.evaluate(() => {
        const v = document.querySelector<HTMLVideoElement>('[data-testid="local-video"]');
        return (
          (v?.srcObject as MediaStream | null)?.getVideoTracks().filter((t) => t.readyState === 'live').length ?? 0
        );
      });
      assert.equal(live, 1, 'the camera is open');
      // Alice now decodes Bob's picture: the camera joined the call.
      await expectMediaFlowing(alice, {}, SLOW);
    } finally {
      await denied.close();
    }
  });

  test('camera and microphone refused (en): the same help screen in English, and receive-only works', async () => {
    const t = translator('en');
    const denied = await launchBrowser({ fakeUi: false });
    try {
      const { link } = await aliceWaiting();
      const bob = await suite.pages.page({ on: denied, locale: 'en-US' });
      await bob.goto(link);
      const help = bob.getByTestId('media-help');
      await help.waitFor({ timeout: SLOW });
      const text = (await help.textContent()) ?? '';
      for (const key of ['helpDeniedTitle', 'helpIntro', 'retry', 'receiveOnly'] as const)
        assert.ok(text.includes(t(key)), `the help screen says «${t(key)}»: ${text}`);
      await checkScreen(bob, 'camera refused (en)');
      await bob.getByTestId('receive-only').click();
      await waitForState(bob, 'active', SLOW);
      await expectMediaFlowing(bob, {}, SLOW);
    } finally {
      await denied.close();
    }
  });

  for (const { lang, locale } of LANGS) {
    test(`sound blocked by autoplay rules (${lang}): one big «Включить звук» button that stays until pressed`, async () => {
      const t = translator(lang);
      const strict = await launchBrowser({ args: ['--autoplay-policy=document-user-activation-required'] });
      try {
        const { link } = await aliceWaiting(strict);
        // Bob opens the link and has not touched the page. Chromium lets a page that is capturing
        // camera or microphone start sound by itself, so Bob has no devices (receive-only, the
        // usual case for this refusal): then the browser refuses to start sound.
        const bobCtx = await suite.pages.context({ on: strict, locale });
        await bobCtx.addInitScript(() => {
          navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('none', 'NotFoundError'));
        });
        // Every playwright evaluation (locator waits included) runs as a user gesture, and one
        // gesture lets the page start sound for good: probing Bob's page before his first attempt
        // to play would itself lift the refusal under test. So nothing touches his page until the
        // button is there; the page reports it on its console (test instrumentation, not the app).
        await bobCtx.addInitScript(() => {
          new MutationObserver((_, observer) => {
            if (!document.querySelector('[data-testid="enable-sound"]')) return;
            console.log('homecall-test: enable-sound shown');
            observer.disconnect();
          }).observe(document, { childList: true, subtree: true });
        });
        const bob = await bobCtx.newPage();
        const shown = bob.waitForEvent('console', {
          predicate: (m) => m.text() === 'homecall-test: enable-sound shown',
          timeout: SLOW,
        });
        await bob.goto(link);
        await shown;
        await waitForState(bob, 'active', SLOW);
        const button = bob.getByTestId('enable-sound');
        await expectMediaFlowing(bob, {}, SLOW);
        assert.equal(await button.count(), 1, 'the button went away before sound played');
        assert.equal(await bob.locator('video.remote').evaluate((v: HTMLVideoElement) => v.muted), true);
        assert.ok(
          ((await button.textContent()) ?? '').includes(t('soundButton')),
          `the button says «${t('soundButton')}»`,
        );
        await checkScreen(bob, `sound blocked (${lang})`);
        await button.click();
        await button.waitFor({ state: 'detached' });
        const playing = await bob
          .locator('video.remote')
          .evaluate(
            (v: HTMLVideoElement) => !v.muted && !v.paused && (v.srcObject as MediaStream).getAudioTracks().length,
          );
        assert.equal(playing, 1, 'the other person is heard');
      } finally {
        await strict.close();
      }
    });
  }

  for (const { lang, locale } of LANGS) {
    test(`offline (${lang}): once visited, the app opens without a connection and says a call needs one`, async () => {
      const ctx = await suite.pages.context({ serviceWorkers: 'allow', locale });
      const page = await ctx.newPage();
      await page.goto(`${suite.server.url}/`);
      await waitForState(page, 'ready', SLOW);
      const cached = await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        const keys = await caches.keys();
        const cache = await caches.open(keys.find((k) => k.startsWith('homecall-')) ?? 'none');
        return (await cache.keys()).length;
      });
      assert.ok(cached > 0, 'the service worker precached the shell');
      await ctx.setOffline(true);
      await page.reload();
      await waitForState(page, 'ready', SLOW);
      // The shell came from the service worker: the network itself is off for the page.
      const fetched = await page.evaluate(() =>
        fetch('/healthz').then(
          () => 'answered',
          () => 'failed',
        ),
      );
      assert.equal(fetched, 'failed', 'the page is offline');
      // Chromium 150 under playwright 1.65 gives a new document navigator.onLine === true in an
      // offline context (playwright #42174): the emulation reaches only documents that exist
      // when it is set. Set it again, so the page learns what a real offline phone knows.
      if (await page.evaluate(() => navigator.onLine)) {
        await ctx.setOffline(false);
        await ctx.setOffline(true);
      }
      const banner = page.getByTestId('offline-banner');
      const says = translator(lang)('offlineBanner');
      assert.ok(((await banner.textContent()) ?? '').includes(says), `the banner says «${says}»`);
      await checkScreen(page, `offline shell (${lang})`);
      await ctx.setOffline(false);
      await banner.waitFor({ state: 'detached' });
    });
  }
});
