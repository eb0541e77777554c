import type { Clock, TimerHandle } from '../clock.js';

/** Something the heartbeat watches: a socket, as the gateway sees it. */
export interface Beating {
  /** Set by any frame or pong; cleared by each visit. */
  alive: boolean;
  /** When life was last seen (monotonic ms), as of the last visit. */
  lastSeen: number;
  /**
   * The bucket the heartbeat keeps it in, -1 while in none; written by the heartbeat only. On
   * the item itself, so a watched socket costs no entry in a map of its own.
   */
  heartbeatBucket: number;
  ping(): void;
  drop(): void;
}

export interface HeartbeatOptions {
  intervalMs: number;
  dropAfterMs: number;
  clock: Clock;
  /** Roughly how often a slice of the sockets is visited; smaller slices, shorter pauses. */
  tickMs?: number;
}

const DEFAULT_TICK_MS = 100;
const MAX_BUCKETS = 600;

/**
 * Liveness for every socket: each one is pinged once per interval and dropped after
 * `dropAfterMs` without a sign of life. Sockets are spread over buckets visited one per tick,
 * because a ping costs a TLS write: pinging 20,000 sockets in one loop stalled the event loop
 * for 0.7 s (bench, capacity part).
 */
export class Heartbeat<T extends Beating> {
  readonly #buckets: Set<T>[];
  readonly #lastVisit: number[];
  readonly #options: HeartbeatOptions;
  readonly #tickEveryMs: number;
  #timer: TimerHandle | null = null;
  #cursor = 0;
  #next = 0;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    const count = Math.min(
      MAX_BUCKETS,
      Math.max(1, Math.round(options.intervalMs / (options.tickMs ?? DEFAULT_TICK_MS))),
    );
    const start = options.clock.now();
    this.#buckets = Array.from({ length: count }, () => new Set<T>());
    this.#lastVisit = new Array<number>(count).fill(start);
    this.#tickEveryMs = options.intervalMs / count;
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      try {
        this.#tick();
      } finally {
        // Re-armed after each visit, like an interval; not after stop().
        if (this.#timer !== null) this.#schedule();
      }
    }, this.#tickEveryMs);
  }

  add(item: T): void {
    const bucket = this.#next;
    this.#next = (this.#next + 1) % this.#buckets.length;
    this.#buckets[bucket]?.add(item);
    item.heartbeatBucket = bucket;
  }

  delete(item: T): void {
    const bucket = item.heartbeatBucket;
    if (bucket < 0) return;
    item.heartbeatBucket = -1;
    this.#buckets[bucket]?.delete(item);
  }

  stop(): void {
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    const { clock, intervalMs, dropAfterMs } = this.#options;
    const bucket = this.#cursor;
    this.#cursor = (this.#cursor + 1) % this.#buckets.length;
    const at = clock.now();
    // If our own event loop stalled, the pongs that prove life are still unread in the poll
    // queue (timers run first): judge nobody in this bucket this round.
    const stalled = at - (this.#lastVisit[bucket] ?? at) > intervalMs * 1.5;
    this.#lastVisit[bucket] = at;
    for (const item of this.#buckets[bucket] ?? []) {
      if (item.alive || stalled) {
        item.alive = false;
        // Whole ms keep it a small integer; rounded down, a drop is never later than exact.
        item.lastSeen = Math.floor(at);
      } else if (at - item.lastSeen >= dropAfterMs) {
        item.drop();
        continue;
      }
      item.ping();
    }
  }
}
