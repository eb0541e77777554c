import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectMediaFlowing, hangUp, waitForState, waitForTestId } from '../e2e/helpers/browser.js';
import { SLOW, useBrowserSuite } from '../e2e/helpers/call.js';
import { startTcpProxy } from '../e2e/helpers/server.js';
import { LANGS } from './helpers/langs.js';
import { checkAxe, checkLayout, checkScreen, pxFontSizes } from './helpers/layout.js';

// Every screen and state, at 320×568, 360×740, 740×360, 768×1024 and 1280×800, in Russian and
// English: reachable, unclipped, uncovered buttons, no overflowing text, nothing over the
// controls, toasts off the other person's face (helpers/layout.ts), and axe-core with no serious
// or critical violation. The help screens that need other browsers are checked in help.test.ts.

const suite = useBrowserSuite({
  // Two cameras (so «Сменить камеру» is there too) at a low frame rate: a lighter load.
  launch: { args: ['--use-fake-device-for-media-stream=device-count=2,fps=10'] },
  // Each test's pages go with it, so a failure cannot hold sockets that the next test needs.
  closeAfterEach: true,
});

const open = (locale: string): Promise<Page> =>
  suite.pages.page({ locale, permissions: ['clipboard-read', 'clipboard-write'] });

const TELEGRAM =
  'Mozilla/5.0 (Linux; Android 13; SM-A515F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 Telegram-Android/10.5.0 (Samsung SM-A515F; Android 13; SDK 33; AVERAGE)';

describe('layout and accessibility', { timeout: 600_000, concurrency: 1 }, () => {
  for (const { lang, locale } of LANGS) {
    test(`every screen and state at five sizes (${lang})`, async () => {
      const alice = await open(locale);
      await alice.goto(`${suite.server.url}/`);
      await waitForState(alice, 'ready', SLOW);
      assert.deepEqual(await pxFontSizes(alice), [], 'text sizes in px');
      await checkScreen(alice, 'home');

      // The settings dialog keeps focus inside and gives it back to the button that opened it.
      await alice.getByTestId('open-settings').focus();
      await alice.keyboard.press('Enter');
      await alice.getByTestId('settings-panel').waitFor();
      await checkScreen(alice, 'settings');
      for (let i = 0; i < 12; i++) await alice.keyboard.press('Tab');
      assert.ok(
        await alice.evaluate(() => !!document.activeElement?.closest('[role="dialog"]')),
        'Tab left the settings dialog',
      );
      await alice.keyboard.press('Escape');
      await alice.getByTestId('settings-panel').waitFor({ state: 'detached' });
      // Focus comes back once the dialog has gone (a render later): waited for, then checked.
      const focused = () => alice.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid);
      await alice
        .waitForFunction(
          () => (document.activeElement as HTMLElement | null)?.dataset.testid === 'open-settings',
          null,
          {
            timeout: 10_000,
          },
        )
        .catch(() => {});
      assert.equal(await focused(), 'open-settings', 'focus did not return to the settings button');

      await alice.getByTestId('cta-connect').click();
      await waitForState(alice, 'waiting', SLOW);
      await alice.locator('img.qr').waitFor();
      await alice.getByTestId('waiting-time').waitFor();
      await checkScreen(alice, 'waiting (made the link)');
      const link = (await alice.getByTestId('invite-url').textContent())?.trim() ?? '';

      const bob = await open(locale);
      await bob.goto(link);
      await Promise.all([waitForState(alice, 'active', SLOW), waitForState(bob, 'active', SLOW)]);
      await expectMediaFlowing(bob, {}, SLOW);
      await bob.getByTestId('call-timer').waitFor();
      await checkScreen(bob, 'active');

      // Toggles keep their name and announce their state; the bar keeps its height.
      const mic = bob.getByTestId('toggle-mic');
      const barHeight = () => bob.locator('.controls').evaluate((e) => e.getBoundingClientRect().height);
      const before = await barHeight();
      assert.equal(await mic.getAttribute('aria-pressed'), 'true');
      await mic.click();
      assert.equal(await mic.getAttribute('aria-pressed'), 'false');
      assert.equal(await bob.getByRole('button', { name: lang === 'ru' ? 'Микрофон' : 'Mic', exact: true }).count(), 1);
      assert.equal(await barHeight(), before, 'the control bar changed height');
      await alice.locator('.remote-badge').waitFor();
      // The band as it is, with whatever message the arrival left: the badge beside it where
      // there is room, one of the two at a time on the narrowest phone; off the other person's
      // face and clear of the controls either way.
      await checkLayout(alice, 'active, the other side muted');

      const carol = await open(locale);
      await carol.goto(link);
      await waitForState(carol, 'error', SLOW);
      await checkScreen(carol, 'refused (call full)');

      await bob.getByTestId('hangup').click();
      await bob.locator('[data-testid="hangup"][data-confirming="true"]').waitFor();
      await checkAxe(bob, 'hang-up asks to confirm');
      await checkScreen(bob, 'hang-up asks to confirm');
      await hangUp(bob);
      await waitForState(alice, 'ended', SLOW);
      await checkScreen(alice, 'ended');
      await alice.getByTestId('return-home').click();
      await alice.getByTestId('last-call').waitFor();
      await checkScreen(alice, 'home with the last call');
      await bob.context().close();

      await carol.goto(`${suite.server.url}/?session=12345`);
      await waitForState(carol, 'error', SLOW);
      await checkScreen(carol, 'not found');

      // Opened a link nobody is in yet: waiting, and never told to send the link.
      await carol.goto(`${suite.server.url}/?session=${randomUUID()}`);
      await waitForTestId(carol, 'waiting-status', SLOW);
      assert.equal(await carol.getByTestId('share-link').count(), 0, 'the one who opened a link is told to send it');
      await checkScreen(carol, 'waiting (opened a link)');
      await carol.context().setOffline(true);
      await carol.getByTestId('offline-banner').waitFor();
      await checkScreen(carol, 'no internet');
      await carol.context().close();

      // The signalling connection drops (the network path, not the device): a banner that stays.
      const proxy = await startTcpProxy(suite.server.port);
      try {
        const dave = await open(locale);
        await dave.goto(`${proxy.url}/?session=${randomUUID()}`);
        dave.on('console', (m) => m.type() === 'error' && console.log(`dave: ${m.text()}`));
        // In the call's waiting state (joined or still connecting: on a loaded machine the first
        // join through the proxy may be slow), then the network goes.
        await waitForState(dave, 'waiting', SLOW);
        proxy.block(true);
        proxy.cutAll();
        await dave.getByTestId('signal-banner').waitFor({ timeout: SLOW });
        await checkScreen(dave, 'no connection to the call');
        await dave.context().close();
      } finally {
        await proxy.close();
      }

      const eve = suite.pages.track(
        await suite.browser.newContext({
          ignoreHTTPSErrors: true,
          locale,
          userAgent: TELEGRAM,
          viewport: { width: 360, height: 740 },
        }),
      );
      const evePage = await eve.newPage();
      await evePage.goto(link);
      await evePage.getByTestId('in-app-browser').waitFor();
      await checkScreen(evePage, 'opened in a messenger');
      await suite.pages.closeAll();
    });
  }
});
