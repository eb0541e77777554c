import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Lang, type Translate, translator } from '../i18n/i18n.js';

export const I18nContext = createContext<{ lang: Lang; t: Translate }>({ lang: 'ru', t: translator('ru') });

/** The current language and its translator. */
export const useI18n = () => useContext(I18nContext);
