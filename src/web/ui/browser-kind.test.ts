import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectBrowser } from './browser-kind.js';
import { detectInAppBrowser } from './in-app-browser.js';

const ANDROID_CHROME =
  'Mozilla/5.0 (Linux; Android 13; SM-A515F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

const MESSENGER_UAS: Record<string, string> = {
  Telegram: `${ANDROID_CHROME} Telegram-Android/10.5.0 (Samsung SM-A515F; Android 13; SDK 33; AVERAGE)`,
  WhatsApp: `${ANDROID_CHROME} WhatsApp/2.23.20.76`,
  Viber: `${ANDROID_CHROME} Viber/20.5.0.2`,
  VK: `${ANDROID_CHROME} VKAndroidApp/8.52-16017 (Android 13; SDK 33; arm64-v8a; Samsung; ru; 2340x1080)`,
  Одноклассники: `${ANDROID_CHROME} OKApp/23.10.2`,
  Instagram: `${IPHONE} Instagram 307.0.0.34.111 (iPhone14,5; iOS 17_1; ru_RU; ru)`,
  Facebook: `${IPHONE.replace(' Safari/604.1', '')} [FBAN/FBIOS;FBAV/440.0.0.32.110;FBBV/538000000]`,
};

test('each messenger in-app browser is recognised by its user agent', () => {
  for (const [name, ua] of Object.entries(MESSENGER_UAS)) assert.equal(detectInAppBrowser(ua)?.ru, name, ua);
});

test('a messenger is named as people say it in each language', () => {
  assert.deepEqual(detectInAppBrowser(MESSENGER_UAS.Одноклассники as string), {
    ru: 'Одноклассники',
    en: 'Odnoklassniki',
  });
  assert.deepEqual(detectInAppBrowser(MESSENGER_UAS.Telegram as string), { ru: 'Telegram', en: 'Telegram' });
});

test('real browsers are not taken for messengers', () => {
  for (const ua of [
    ANDROID_CHROME,
    IPHONE,
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  ])
    assert.equal(detectInAppBrowser(ua), null, ua);
});

test('permission help is chosen for the browser in use', () => {
  assert.equal(detectBrowser(ANDROID_CHROME), 'android-chrome');
  assert.equal(detectBrowser(IPHONE), 'ios-safari');
  assert.equal(
    detectBrowser('Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'),
    'desktop-firefox',
  );
  assert.equal(
    detectBrowser(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    ),
    'desktop-safari',
  );
  assert.equal(
    detectBrowser(
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ),
    'desktop-chrome',
  );
});
