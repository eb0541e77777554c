import type { Lang } from '../../../src/web/i18n/i18n.js';

/** Both languages of the app, each with a browser locale that picks it. */
export const LANGS: readonly { lang: Lang; locale: string }[] = [
  { lang: 'ru', locale: 'ru-RU' },
  { lang: 'en', locale: 'en-US' },
];
