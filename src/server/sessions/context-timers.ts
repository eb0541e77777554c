import type { Limits } from '../../shared/protocol/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { DeadlineQueue } from '../deadline-queue.js';
import type { ContextRef } from './session-events.js';
import type { Place } from './session-registry.js';

/** What every context's timers share: given once, kept by reference (not copied per context). */
export interface ContextTimersDeps {
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

type SharedDeps = Required<ContextTimersDeps>;

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
 * per place. Kept together so that ending the context clears all of them at once. It is its own
 * ContextRef (the callbacks get it as the context), so a waiting context holds no copy of it.
 */
export class ContextTimers implements ContextRef {
  readonly sessionId: string;
  readonly contextId: string;
  readonly #deps: SharedDeps;
  /** What the lifetime cap calls (one function for all contexts, given the context); null when none is armed. */
  #onLifetime: ((context: ContextRef) => void) | null = null;
  /** What the running alone timeout calls (like #onLifetime); null when none runs. */
  #onAlone: ((context: ContextRef) => void) | null = null;
  // One field per place rather than an array: nothing allocated while no place is held.
  #grace0: TimerHandle | null = null;
  #grace1: TimerHandle | null = null;

  constructor(context: ContextRef, deps: ContextTimersDeps) {
    this.sessionId = context.sessionId;
    this.contextId = context.contextId;
    this.#deps =
      deps.aloneQueue !== undefined && deps.lifetimeQueue !== undefined
        ? (deps as SharedDeps)
        : {
            clock: deps.clock,
            limits: deps.limits,
            aloneQueue: deps.aloneQueue ?? aloneTimeouts(deps.clock, deps.limits.aloneMs),
            lifetimeQueue: deps.lifetimeQueue ?? lifetimeCaps(deps.clock, 0),
          };
  }

  /** The context these timers are of (the timers themselves). */
  get context(): ContextRef {
    return this;
  }

  /** Whether the lifetime cap is armed (several nodes: each node with a participant arms it once). */
  get hasLifetime(): boolean {
    return this.#onLifetime !== null;
  }

  /** Calls `onEnd(context)` once `remainingMs` of the context's lifetime have passed. */
  startLifetime(remainingMs: number, onEnd: (context: ContextRef) => void): void {
    this.#onLifetime = onEnd;
    this.#deps.lifetimeQueue.add(this, remainingMs);
  }

  /** The lifetime cap fell (called by the queue). */
  lifetimeReached(): void {
    const onEnd = this.#onLifetime;
    this.#onLifetime = null;
    onEnd?.(this);
  }

  /** (Re)starts the alone timeout: someone is alone in the context; `onExpire(context)` when it falls. */
  startAlone(onExpire: (context: ContextRef) => void): void {
    this.#onAlone = onExpire;
    this.#deps.aloneQueue.add(this);
  }

  cancelAlone(): void {
    this.#onAlone = null;
    this.#deps.aloneQueue.delete(this);
  }

  /** The alone timeout fell (called by the queue). */
  aloneExpired(): void {
    const onExpire = this.#onAlone;
    this.#onAlone = null;
    onExpire?.(this);
  }

  /** (Re)starts the grace period of a held place (rule 6). */
  startGrace(place: Place, onExpire: () => void): void {
    this.cancelGrace(place);
    const handle = this.#deps.clock.setTimeout(() => {
      this.#setGrace(place, null);
      onExpire();
    }, this.#deps.limits.graceMs);
    this.#setGrace(place, handle);
  }

  cancelGrace(place: Place): void {
    const handle = place === 0 ? this.#grace0 : this.#grace1;
    if (handle !== null) this.#deps.clock.clearTimeout(handle);
    this.#setGrace(place, null);
  }

  /** Cancels every timer of the context. */
  clear(): void {
    this.cancelGrace(0);
    this.cancelGrace(1);
    this.#onLifetime = null;
    this.#deps.lifetimeQueue.delete(this);
    this.cancelAlone();
  }

  #setGrace(place: Place, handle: TimerHandle | null): void {
    if (place === 0) this.#grace0 = handle;
    else this.#grace1 = handle;
  }
}
