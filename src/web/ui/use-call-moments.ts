import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallState } from '../core/call-machine.js';
import type { UiEnv } from './ui-env.js';

/** Alone in a call whose join went through: the other person has not come (or has left). */
export const isWaitingAlone = (s: CallState) => s.kind === 'call' && !s.fresh && s.peer === 'absent';

/**
 * The moments of a call the UI marks: since when we wait alone (with the waiting tone, if it is
 * on), the chime and vibration when the other person arrives (before the picture appears), and
 * since when the picture is up (the call timer). Returns clock.now() values or null. Takes the
 * adapters directly: it runs in App, above the context provider.
 */
export function useCallMoments(
  state: CallState,
  toneOn: boolean,
  env: UiEnv,
): { waitingSince: number | null; activeSince: number | null } {
  const { clock, cues, prefs } = env;
  const prev = useRef<CallState>(state);
  const [waitingSince, setWaitingSince] = useState<number | null>(null);
  const [activeSince, setActiveSince] = useState<number | null>(null);
  const alone = isWaitingAlone(state);
  const active = state.kind === 'call' && state.media !== 'none';

  useEffect(() => {
    const before = prev.current;
    prev.current = state;
    if (isWaitingAlone(before) && state.kind === 'call' && state.peer === 'present') cues.arrived();
    // The last call's link is offered again on the home screen (kept only in this browser).
    if (state.kind === 'call' && before.kind !== 'call') prefs.setLastCall(state.sessionId);
  }, [state]);

  useEffect(() => {
    setWaitingSince(alone ? clock.now() : null);
  }, [alone]);
  useEffect(() => {
    if (!active) setActiveSince(null);
    else setActiveSince((s) => s ?? clock.now());
  }, [active, state.kind === 'call' ? state.sessionId : null]);

  useEffect(() => {
    if (!alone || !toneOn) return;
    cues.startWaiting();
    return () => cues.stopWaiting();
  }, [alone, toneOn]);

  return { waitingSince, activeSince };
}
