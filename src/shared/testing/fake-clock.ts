import type { Clock, TimerHandle } from '../clock.js';

interface FakeTimer {
  at: number;
  fn: () => void;
}

/** A hand-driven clock for unit tests: timers fire only inside `advance`. */
export class FakeClock implements Clock {
  #now = 0;
  #wall: number;
  readonly #timers = new Set<FakeTimer>();

  constructor(wallStart = 1_800_000_000_000) {
    this.#wall = wallStart;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#wall + this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.#now + ms, fn };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as FakeTimer);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward without firing anything, as a blocked event loop does; the next
   * `advance` fires what came due meanwhile, late.
   */
  stall(ms: number): void {
    this.#now += ms;
  }

  /**
   * The wall clock jumps (an NTP step, a suspended VM, an operator's `date -s`): `wallNow`
   * moves by `ms` (either way), monotonic time and timers do not.
   */
  jumpWall(ms: number): void {
    this.#wall += ms;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: FakeTimer | null = null;
      for (const t of this.#timers) if (t.at <= end && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      this.#timers.delete(next);
      // A timer that came due during a stall fires late, at the current time.
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
}
