import type { Clock } from '../../shared/clock.js';
import { TokenBucket } from '../gateway/rate-limiter.js';

/** Source addresses tracked at once; the oldest is forgotten beyond this (bounded memory under spoofing). */
const MAX_SOURCES = 4096;

/**
 * Rate-limits the answers a server sends without authentication (Binding successes, 401, 438,
 * 400, 420), per source IP, so a spoofed source cannot turn the server into an amplifier.
 */
export class SourceLimiter {
  readonly #clock: Clock;
  readonly #perSec: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(options: { clock: Clock; perSec: number }) {
    this.#clock = options.clock;
    this.#perSec = options.perSec;
  }

  /** True when one more answer to `ip` is allowed now. */
  take(ip: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(ip);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_SOURCES) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      // Burst of two seconds' worth, so a browser's start-up (a few Bindings, one 401 per local address) passes.
      bucket = new TokenBucket(this.#perSec * 2, this.#perSec, now);
      this.#buckets.set(ip, bucket);
    }
    return bucket.take(now);
  }
}
