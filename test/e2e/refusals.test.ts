import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expectMediaFlowing, launchBrowser, newCallContext, waitForState } from './helpers/browser.js';
import { makeLink } from './helpers/call.js';
import { ensureWebBuild, type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
let browser: Browser;
/** A browser that answers no permission prompt: headless Chromium then denies camera and microphone. */
let deniedBrowser: Browser;

before(async () => {
  ensureWebBuild();
  server = await startServer();
  browser = await launchBrowser();
  deniedBrowser = await launchBrowser({ fakeUi: false });
});

after(async () => {
  await browser?.close();
  await deniedBrowser?.close();
  await server?.stop();
});

describe('refusals', { timeout: 120_000 }, () => {
  test('7a: a malformed link shows the not-found screen with a way home', async () => {
    const context = await newCallContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/?session=not-a-uuid`);
    await waitForState(page, 'error');
    assert.equal(await page.locator('h1').textContent(), 'Ссылка не найдена');
    await page.getByTestId('return-home').click();
    await waitForState(page, 'ready');
    assert.equal(new URL(page.url()).search, '');
    await context.close();
  });

  test('7b: camera and microphone denied: the help screen is shown and the call connects receive-only', async () => {
    const aliceCtx = await newCallContext(browser);
    const alice = await aliceCtx.newPage();
    const link = await makeLink(alice, server.url);

    const bobCtx = await newCallContext(deniedBrowser);
    const bob = await bobCtx.newPage();
    await bob.goto(link);
    // A help screen that stays (not a toast): how to allow them, or go on without them.
    const help = bob.getByTestId('media-help');
    await help.waitFor({ timeout: 15_000 });
    assert.match((await help.textContent()) ?? '', /Разрешите камеру и микрофон/);
    await bob.getByTestId('receive-only').click();
    await Promise.all([waitForState(alice, 'active'), waitForState(bob, 'active')]);
    // Bob sends nothing but receives Alice's video and sound.
    await expectMediaFlowing(bob);
    const sent = await bob.evaluate(
      () =>
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
          .at(-1)
          ?.getSenders()
          .filter((s) => s.track).length,
    );
    assert.equal(sent, 0);
    // A control without a device brings the help back instead of doing nothing.
    await bob.getByTestId('toggle-camera').click();
    await help.waitFor();
    await aliceCtx.close();
    await bobCtx.close();
  });
});
