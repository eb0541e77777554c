import type { Clock, TimerHandle } from '../../shared/clock.js';

/** What the UI asks for; main.tsx builds the real one over Web Audio. */
export interface Cues {
  /** A soft tone every few seconds until stopped. */
  startWaiting(): void;
  stopWaiting(): void;
  /** A short rising chime (and a vibration where the device has one): the other person arrived. */
  arrived(): void;
  /** Called on a tap: a context created before any tap starts suspended under autoplay rules. */
  unlock(): void;
}

interface Options {
  createContext: () => AudioContext | null;
  clock: Clock;
  vibrate?: (pattern: number[]) => void;
}

/** Like a ringback tone, but quieter and lower: 1 s of 425 Hz every 4 s. */
const WAIT_HZ = 425;
const WAIT_ON_S = 1;
export const WAIT_PERIOD_MS = 4_000;
/** C6, E6, G6: a rising major chord, unlike the waiting tone. */
export const CHIME_HZ = [1047, 1319, 1568] as const;
const CHIME_STEP_S = 0.14;
const VIBRATION = [180, 90, 180];

/** Generated sounds only (no audio files): oscillators with soft attack and release. */
export class AudioCues implements Cues {
  #ctx: AudioContext | null = null;
  #timer: TimerHandle | null = null;
  constructor(private readonly o: Options) {}

  #context(): AudioContext | null {
    if (!this.#ctx) this.#ctx = this.o.createContext();
    if (this.#ctx?.state === 'suspended') void this.#ctx.resume().catch(() => {});
    return this.#ctx;
  }

  #note(hz: number, startS: number, lengthS: number, level: number): void {
    const ctx = this.#context();
    if (!ctx) return;
    const t0 = ctx.currentTime + startS;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(level, t0 + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + lengthS);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + lengthS + 0.05);
  }

  startWaiting(): void {
    if (this.#timer !== null) return;
    const beat = () => {
      this.#note(WAIT_HZ, 0, WAIT_ON_S, 0.06);
      this.#timer = this.o.clock.setTimeout(beat, WAIT_PERIOD_MS);
    };
    beat();
  }

  stopWaiting(): void {
    if (this.#timer !== null) this.o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  arrived(): void {
    this.stopWaiting();
    for (const [i, hz] of CHIME_HZ.entries()) this.#note(hz, i * CHIME_STEP_S, 0.6, 0.18);
    this.o.vibrate?.(VIBRATION);
  }

  unlock(): void {
    if (this.#ctx?.state === 'suspended') void this.#ctx.resume().catch(() => {});
  }
}
