import type { Lang } from '../i18n/i18n.js';

/** A messenger's name as people say it in each language. */
export type AppName = Readonly<Record<Lang, string>>;

const brand = (name: string): AppName => ({ ru: name, en: name });

/** Messengers whose own in-app browser often has no camera, with the app's name as shown. */
const IN_APP: readonly [RegExp, AppName][] = [
  [/Telegram/i, brand('Telegram')],
  [/WhatsApp/i, brand('WhatsApp')],
  [/Viber/i, brand('Viber')],
  [/VKAndroidApp|VKClient|com\.vkontakte|\bVK\//i, brand('VK')],
  [/OdnoklassnikiApp|OKApp|\bOK\/|ru\.ok\.android/i, { ru: 'Одноклассники', en: 'Odnoklassniki' }],
  [/Instagram/i, brand('Instagram')],
  [/FBAN|FBAV|FB_IAB|FBIOS|\[FB/i, brand('Facebook')],
];

/** The messenger whose in-app browser this is, or null in a real browser. */
export function detectInAppBrowser(userAgent: string): AppName | null {
  for (const [pattern, name] of IN_APP) if (pattern.test(userAgent)) return name;
  return null;
}
