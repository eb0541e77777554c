/** Rate limits of one socket (protocol.md "Limits": burst and sustained, frames and bytes). */
export interface RateLimits {
  burstFrames: number;
  burstBytes: number;
  framesPerSec: number;
  bytesPerSec: number;
}

export type RateVerdict = 'pass' | 'drop' | 'abuse';

/** Violations closer together than this count as one continuous violation. */
const CONTINUOUS_GAP_MS = 1000;
/** Persistent abuse: this long in continuous violation, or this many drops in it. */
const ABUSE_MS = 3000;
const ABUSE_DROPS = 100;

/**
 * Two token buckets (frames and bytes), refilled lazily from the injected time, plus the
 * bookkeeping that tells a burst from persistent abuse.
 */
export class RateLimiter {
  #frames: number;
  #bytes: number;
  #last: number;
  #violationStart = 0;
  #lastDrop = Number.NEGATIVE_INFINITY;
  #drops = 0;

  constructor(
    private readonly limits: RateLimits,
    now: number,
  ) {
    this.#frames = limits.burstFrames;
    this.#bytes = limits.burstBytes;
    this.#last = now;
  }

  /** Accounts one frame of `bytes` at `now` (monotonic ms). */
  take(bytes: number, now: number): RateVerdict {
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#last = now;
    const { burstFrames, burstBytes, framesPerSec, bytesPerSec } = this.limits;
    this.#frames = Math.min(burstFrames, this.#frames + elapsed * framesPerSec);
    this.#bytes = Math.min(burstBytes, this.#bytes + elapsed * bytesPerSec);
    if (this.#frames >= 1 && this.#bytes >= bytes) {
      this.#frames -= 1;
      this.#bytes -= bytes;
      return 'pass';
    }
    if (now - this.#lastDrop > CONTINUOUS_GAP_MS) {
      this.#violationStart = now;
      this.#drops = 0;
    }
    this.#lastDrop = now;
    this.#drops += 1;
    return this.#drops >= ABUSE_DROPS || now - this.#violationStart >= ABUSE_MS ? 'abuse' : 'drop';
  }
}

/** A plain token bucket, used to throttle error replies. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSec: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#last = now;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.capacity, this.#tokens + (Math.max(0, now - this.#last) / 1000) * this.perSec);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
