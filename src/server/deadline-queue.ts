import type { Clock, TimerHandle } from './clock.js';

/**
 * Deadlines that are all the same delay after their start (a first-byte timeout, a join
 * timeout): items expire in the order they were added, so one timer on the oldest serves them
 * all, instead of a timer (and a closure) per socket. A Map keeps insertion order and deletes in
 * O(1), so an item that no longer needs its deadline is simply deleted.
 */
export class DeadlineQueue<T> {
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #expire: (item: T) => void;
  readonly #deadlines = new Map<T, number>();
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: { clock: Clock; delayMs: number; expire: (item: T) => void }) {
    this.#clock = options.clock;
    this.#delayMs = options.delayMs;
    this.#expire = options.expire;
  }

  get size(): number {
    return this.#deadlines.size;
  }

  /** `item` expires `delayMs` from now, unless deleted first. */
  add(item: T): void {
    if (this.#stopped) return;
    this.#deadlines.delete(item);
    this.#deadlines.set(item, this.#clock.now() + this.#delayMs);
    this.#arm();
  }

  delete(item: T): void {
    this.#deadlines.delete(item);
    // Nothing left to wait for: no timer stays armed.
    if (this.#deadlines.size === 0 && this.#timer !== null) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** No more expiries (shutdown). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#deadlines.clear();
  }

  #arm(): void {
    if (this.#timer !== null || this.#stopped) return;
    // The oldest item's deadline is the earliest: all share one delay.
    const oldest = this.#deadlines.values().next();
    if (oldest.done) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#run();
      },
      Math.max(0, oldest.value - this.#clock.now()),
    );
  }

  #run(): void {
    const now = this.#clock.now();
    try {
      for (const [item, deadline] of this.#deadlines) {
        if (deadline > now) break;
        this.#deadlines.delete(item);
        this.#expire(item);
      }
    } finally {
      this.#arm();
    }
  }
}
