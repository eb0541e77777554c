import type { Clock, TimerHandle } from './clock.js';

/**
 * Deadlines that are all the same delay after their start (a first-byte timeout, a join
 * timeout): items expire in the order they were added, so one timer on the oldest serves them
 * all, instead of a timer (and a closure) per socket. A Map keeps insertion order and deletes in
 * O(1), so an item that no longer needs its deadline is simply deleted.
 *
 * `add(item, delayMs)` gives one item its own delay (a context's lifetime cap: what is left of
 * it). It joins the shared order when its deadline is not earlier than the newest one there (a
 * fresh context's full lifetime, the common case); otherwise it gets a timer of its own. Either
 * way it expires at its own deadline, never later.
 */
export class DeadlineQueue<T> {
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #expire: (item: T) => void;
  readonly #deadlines = new Map<T, number>();
  /** The newest deadline in `#deadlines` (they are in nondecreasing order). */
  #newest = Number.NEGATIVE_INFINITY;
  /** Items whose deadline came earlier than the newest in order: a timer each. */
  readonly #own = new Map<T, TimerHandle>();
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: { clock: Clock; delayMs: number; expire: (item: T) => void }) {
    this.#clock = options.clock;
    this.#delayMs = options.delayMs;
    this.#expire = options.expire;
  }

  get size(): number {
    return this.#deadlines.size + this.#own.size;
  }

  /** `item` expires `delayMs` (the queue's delay by default) from now, unless deleted or added again first. */
  add(item: T, delayMs = this.#delayMs): void {
    if (this.#stopped) return;
    this.delete(item);
    // Whole ms, rounded up: never earlier than asked, and at most 1 ms later (Node's timers fire
    // on whole ms anyway). A small integer is kept in the Map as it is; a fraction of a ms would
    // be a heap number of its own for every item waiting (a socket waits in three queues).
    const deadline = Math.ceil(this.#clock.now() + Math.max(0, delayMs));
    if (deadline < this.#newest && this.#deadlines.size > 0) {
      const timer = this.#clock.setTimeout(() => {
        this.#own.delete(item);
        this.#expire(item);
      }, deadline - this.#clock.now());
      this.#own.set(item, timer);
      return;
    }
    this.#deadlines.set(item, deadline);
    this.#newest = deadline;
    this.#arm();
  }

  delete(item: T): void {
    const own = this.#own.get(item);
    if (own !== undefined) {
      this.#clock.clearTimeout(own);
      this.#own.delete(item);
    }
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
    for (const timer of this.#own.values()) this.#clock.clearTimeout(timer);
    this.#own.clear();
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
