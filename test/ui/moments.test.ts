import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { translator } from '../../src/web/i18n/i18n.js';
import { expectMediaFlowing, hangUp, waitForState } from '../e2e/helpers/browser.js';
import { answerLink, makeLink, SLOW, useBrowserSuite } from '../e2e/helpers/call.js';
import { LANGS } from './helpers/langs.js';

// Waiting is audible, arriving is announced, and a call can be made again on the same link.
// The sounds are observed through the page's own Web Audio: the test (not the app) wraps
// OscillatorNode.start and navigator.vibrate, and records each data-state change beside them.

const RECORD_CUES = `(() => {
  const log = (window.__cues = []);
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    log.push({ kind: 'tone', hz: this.frequency.value });
    return start.apply(this, args);
  };
  const vibrate = navigator.vibrate ? navigator.vibrate.bind(navigator) : null;
  navigator.vibrate = (pattern) => {
    log.push({ kind: 'vibrate', pattern });
    return vibrate ? vibrate(pattern) : true;
  };
  new MutationObserver(() => {
    const state = document.documentElement.dataset.state;
    if (log.at(-1)?.state !== state) log.push({ kind: 'state', state });
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-state'] });
})();`;

interface Cue {
  kind: 'tone' | 'vibrate' | 'state';
  hz?: number;
  state?: string;
  pattern?: number[];
}
const WAIT_HZ = 425;
const CHIME_HZ = 1047;

const suite = useBrowserSuite();

const page = (locale: string, record = false): Promise<Page> =>
  suite.pages.page({ locale, initScript: record ? RECORD_CUES : undefined });

const cues = (p: Page) => p.evaluate(() => (window as unknown as { __cues: Cue[] }).__cues);
const tonesAt = (list: Cue[], hz: number) => list.filter((c) => c.kind === 'tone' && c.hz === hz).length;

describe('waiting, arriving, calling again', { timeout: 600_000, concurrency: 1 }, () => {
  for (const { lang, locale } of LANGS) {
    test(`${lang}: a waiting tone while alone; a chime and a vibration when the other person arrives, before the picture; «Позвонить ещё раз» on the same link; the tone can be turned off`, async () => {
      const t = translator(lang);
      const alice = await page(locale, true);
      const link = await makeLink(alice, suite.server.url);
      await alice.waitForFunction(
        (hz) => (window as unknown as { __cues: Cue[] }).__cues.some((c) => c.kind === 'tone' && c.hz === hz),
        WAIT_HZ,
      );
      assert.equal(tonesAt(await cues(alice), CHIME_HZ), 0, 'a chime while nobody came');

      const bob = await page(locale);
      await answerLink(bob, link, alice);
      const log = await cues(alice);
      const chime = log.findIndex((c) => c.kind === 'tone' && c.hz === CHIME_HZ);
      const shown = log.findIndex((c) => c.kind === 'state' && c.state === 'active');
      assert.ok(chime >= 0, `no chime: ${JSON.stringify(log)}`);
      assert.ok(chime < shown, `the chime came after the picture: ${JSON.stringify(log)}`);
      assert.ok(
        log.slice(0, shown).some((c) => c.kind === 'vibrate'),
        'no vibration before the picture',
      );
      await expectMediaFlowing(alice, {}, SLOW);

      // Ended; «Позвонить ещё раз» on both sides: a new call on the same link, media both ways.
      await hangUp(bob);
      await Promise.all([waitForState(alice, 'ended', SLOW), waitForState(bob, 'ended', SLOW)]);
      const again = alice.getByTestId('call-again');
      assert.ok(((await again.textContent()) ?? '').includes(t('callAgain')), `the button says «${t('callAgain')}»`);
      await again.click();
      await waitForState(alice, 'waiting', SLOW);
      assert.equal(alice.url(), link);
      await bob.getByTestId('call-again').click();
      await Promise.all([waitForState(alice, 'active', SLOW), waitForState(bob, 'active', SLOW)]);
      await Promise.all([expectMediaFlowing(alice, {}, SLOW), expectMediaFlowing(bob, {}, SLOW)]);

      // The waiting tone off in settings: remembered, and no tone while waiting alone again.
      await alice.getByTestId('open-settings').click();
      await alice
        .getByTestId('settings-panel')
        .getByRole('button', { name: t('toneOff'), exact: true })
        .click();
      await alice.keyboard.press('Escape');
      assert.equal(await alice.evaluate(() => localStorage.getItem('homecall.waitingTone')), 'off');
      await hangUp(alice);
      await waitForState(alice, 'ended', SLOW);
      const before = tonesAt(await cues(alice), WAIT_HZ);
      await alice.getByTestId('call-again').click();
      await alice.getByTestId('waiting-time').waitFor();
      // The tone starts the moment the waiting starts; once a second has been shown it would have.
      await alice.getByTestId('waiting-time').filter({ hasNotText: /0:00/ }).waitFor();
      assert.equal(tonesAt(await cues(alice), WAIT_HZ), before, 'the waiting tone played although turned off');

      // Home offers the last call's link again, and «Забыть» removes it from this browser.
      await hangUp(alice);
      await waitForState(alice, 'ended', SLOW);
      await alice.getByTestId('return-home').click();
      await alice.getByTestId('last-call').waitFor();
      await alice.getByTestId('last-call-forget').click();
      await alice.getByTestId('last-call').waitFor({ state: 'detached' });
      assert.equal(await alice.evaluate(() => localStorage.getItem('homecall.lastCall')), null);
    });
  }
});
