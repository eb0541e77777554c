/** The part of Web Storage the preferences use (a Map stands in for it in tests). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * What HomeCall remembers in this browser, and nothing else: the language, whether the waiting
 * tone plays, the chosen sound output, and the last call's session id (the link's only secret:
 * it stays in this browser and «Забыть» removes it).
 */
export interface Prefs {
  lang(): string | null;
  setLang(lang: string): void;
  waitingTone(): boolean;
  setWaitingTone(on: boolean): void;
  outputId(): string | null;
  setOutputId(id: string | null): void;
  lastCall(): string | null;
  setLastCall(sessionId: string | null): void;
}

export const PREF_KEYS = {
  lang: 'homecall.lang',
  tone: 'homecall.waitingTone',
  output: 'homecall.output',
  lastCall: 'homecall.lastCall',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Preferences over a storage that may be missing or throw (private mode): then nothing is kept. */
export function createPrefs(storage: StorageLike | null): Prefs {
  const get = (key: string): string | null => {
    try {
      return storage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  };
  const set = (key: string, value: string | null): void => {
    try {
      if (value === null) storage?.removeItem(key);
      else storage?.setItem(key, value);
    } catch {
      // Not kept; the app works without it.
    }
  };
  return {
    lang: () => get(PREF_KEYS.lang),
    setLang: (lang) => set(PREF_KEYS.lang, lang),
    waitingTone: () => get(PREF_KEYS.tone) !== 'off',
    setWaitingTone: (on) => set(PREF_KEYS.tone, on ? null : 'off'),
    outputId: () => get(PREF_KEYS.output),
    setOutputId: (id) => set(PREF_KEYS.output, id),
    lastCall: () => {
      const id = get(PREF_KEYS.lastCall);
      return id && UUID.test(id) ? id : null;
    },
    setLastCall: (id) => set(PREF_KEYS.lastCall, id),
  };
}
