import type { Limits } from '../../shared/protocol/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { DeadlineQueue } from '../deadline-queue.js';
import type { ContextRef } from './session-events.js';
import type { Place } from './session-registry.js';

export interface ContextTimersOptions {
  /** The context these timers are of: what the lifetime and alone callbacks are called with. */
  context: ContextRef;
  clock: Clock;
  limits: Pick<Limits, 'aloneMs' | 'graceMs'>;
  /**
   * The alone timeouts of every context (made by aloneTimeouts() with the same aloneMs): one
   * timer for all of them, not one per waiting context. Its own queue when not given.
   */
  aloneQueue?: DeadlineQueue<ContextTimers>;
  /** The lifetime caps of every context (made by lifetimeCaps()): one timer for most of them. Its own when not given. */
  lifetimeQueue?: DeadlineQueue<ContextTimers>;
}

/** The shared queue of alone timeouts for ContextTimers (all with the same aloneMs). */
export function aloneTimeouts(clock: Clock, aloneMs: number): DeadlineQueue<ContextTimers> {
  return new DeadlineQueue<ContextTimers>({ clock, delayMs: aloneMs, expire: (timers) => timers.aloneExpired() });
}

/**
 * The shared queue of lifetime caps for ContextTimers. Each cap has its own delay (what is left
 * of the context's lifetime); fresh contexts' caps come in deadline order and share one timer.
 */
export function lifetimeCaps(clock: Clock, sessionLifetimeMs: number): DeadlineQueue<ContextTimers> {
  return new DeadlineQueue<ContextTimers>({
    clock,
    delayMs: sessionLifetimeMs,
    expire: (timers) => timers.lifetimeReached(),
  });
}

/**
 * The timers of one live context: its lifetime cap, the alone timeout, and one grace period
 * per place. Kept together so that ending the context clears all of them at once.
 */
export class ContextTimers {
  readonly context: ContextRef;
  readonly #clock: Clock;
  readonly #limits: Pick<Limits, 'aloneMs' | 'graceMs'>;
  readonly #lifetimeQueue: DeadlineQueue<ContextTimers>;
  /** What the lifetime cap calls (one function for all contexts, given the context); null when none is armed. */
  #onLifetime: ((context: ContextRef) => void) | null = null;
  readonly #aloneQueue: DeadlineQueue<ContextTimers>;
  /** What the running alone timeout calls (like #onLifetime); null when none runs. */
  #onAlone: ((context: ContextRef) => void) | null = null;
  readonly #grace: [TimerHandle | null, TimerHandle | null] = [null, null];

  constructor(options: ContextTimersOptions) {
    this.context = options.context;
    this.#clock = options.clock;
    this.#limits = options.limits;
    this.#aloneQueue = options.aloneQueue ?? aloneTimeouts(options.clock, options.limits.aloneMs);
    this.#lifetimeQueue = options.lifetimeQueue ?? lifetimeCaps(options.clock, 0);
  }

  /** Whether the lifetime cap is armed (several nodes: each node with a participant arms it once). */
  get hasLifetime(): boolean {
    return this.#onLifetime !== null;
  }

  /** Calls `onEnd(context)` once `remainingMs` of the context's lifetime have passed. */
  startLifetime(remainingMs: number, onEnd: (context: ContextRef) => void): void {
    this.#onLifetime = onEnd;
    this.#lifetimeQueue.add(this, remainingMs);
  }

  /** The lifetime cap fell (called by the queue). */
  lifetimeReached(): void {
    const onEnd = this.#onLifetime;
    this.#onLifetime = null;
    onEnd?.(this.context);
  }

  /** (Re)starts the alone timeout: someone is alone in the context; `onExpire(context)` when it falls. */
  startAlone(onExpire: (context: ContextRef) => void): void {
    this.#onAlone = onExpire;
    this.#aloneQueue.add(this);
  }

  cancelAlone(): void {
    this.#onAlone = null;
    this.#aloneQueue.delete(this);
  }

  /** The alone timeout fell (called by the queue). */
  aloneExpired(): void {
    const onExpire = this.#onAlone;
    this.#onAlone = null;
    onExpire?.(this.context);
  }

  /** (Re)starts the grace period of a held place (rule 6). */
  startGrace(place: Place, onExpire: () => void): void {
    this.#cancel(this.#grace[place]);
    this.#grace[place] = this.#clock.setTimeout(() => {
      this.#grace[place] = null;
      onExpire();
    }, this.#limits.graceMs);
  }

  cancelGrace(place: Place): void {
    this.#cancel(this.#grace[place]);
    this.#grace[place] = null;
  }

  /** Cancels every timer of the context. */
  clear(): void {
    for (const handle of this.#grace) this.#cancel(handle);
    this.#grace[0] = this.#grace[1] = null;
    this.#onLifetime = null;
    this.#lifetimeQueue.delete(this);
    this.cancelAlone();
  }

  #cancel(handle: TimerHandle | null): void {
    if (handle !== null) this.#clock.clearTimeout(handle);
  }
}
