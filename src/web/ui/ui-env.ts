import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Clock } from '../../shared/clock.js';
import type { AudioOutput } from '../media/audio-output.js';
import type { Cues } from '../media/audio-cues.js';
import type { Prefs } from '../prefs/local-prefs.js';

/** The browser-facing adapters the UI uses; main.tsx builds them (tests can build fakes). */
export interface UiEnv {
  clock: Clock;
  cues: Cues;
  prefs: Prefs;
  output: AudioOutput;
  userAgent: string;
}

const noop = () => {};
const missing: UiEnv = {
  clock: {
    now: () => 0,
    wallNow: () => 0,
    setTimeout: () => 0,
    clearTimeout: noop,
  },
  cues: { startWaiting: noop, stopWaiting: noop, arrived: noop, unlock: noop },
  prefs: {
    lang: () => null,
    setLang: noop,
    waitingTone: () => false,
    setWaitingTone: noop,
    outputId: () => null,
    setOutputId: noop,
    lastCall: () => null,
    setLastCall: noop,
  },
  output: { canChoose: () => false, list: async () => [], apply: async () => {} },
  userAgent: '',
};

export const UiEnvContext = createContext<UiEnv>(missing);

/** The UI's adapters. */
export const useUiEnv = () => useContext(UiEnvContext);

/** Milliseconds since `since` (a clock.now() value), refreshed every second; null when not running. */
export function useElapsed(since: number | null): number | null {
  const { clock } = useUiEnv();
  const [, setTick] = useState(0);
  useEffect(() => {
    if (since === null) return;
    let handle = clock.setTimeout(function tick() {
      setTick((n) => n + 1);
      handle = clock.setTimeout(tick, 1_000);
    }, 1_000);
    return () => clock.clearTimeout(handle);
  }, [since]);
  return since === null ? null : Math.max(0, clock.now() - since);
}

/** 0:07, 12:34, 1:02:03. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
