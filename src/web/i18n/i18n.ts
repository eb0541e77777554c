import { en } from './en.js';
import { type MessageKey, ru } from './ru.js';

export type Lang = 'ru' | 'en';
export type { MessageKey };
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export const DICTIONARIES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { ru, en };

/** Russian by default; English when the browser lists English before Russian. */
export function pickLanguage(preferred: readonly string[], stored?: string | null): Lang {
  if (stored === 'ru' || stored === 'en') return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'ru';
}

/** Returns a translator for one language; `{name}` placeholders are filled from params. */
export function translator(lang: Lang): Translate {
  const dict = DICTIONARIES[lang];
  return (key, params) => {
    const text = dict[key];
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}
