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
 *
 * Every field is a small integer, so V8 keeps them in the object as Smis instead of a boxed
 * heap number each (a waiting socket holds one limiter): the buckets count thousandths of a
 * frame and of a byte, and time is whole milliseconds. Refill is counted up to the present
 * rounded down, and from a bucket's last full moment (or its creation) rounded up, so it is
 * never more than the exact refill: a frame this limiter passes, the exact one would pass too.
 * The gateway's socket record extends this class, so a socket's limiter is not an object of
 * its own either.
 */
export class RateLimiter {
  readonly #limits: RateLimits;
  /** Thousandths of a frame left in the frame bucket. */
  #milliFrames: number;
  /** Thousandths of a byte left in the byte bucket. */
  #milliBytes: number;
  /** Whole ms the frame bucket is refilled up to (each bucket its own: see take()). */
  #framesAt: number;
  /** Whole ms the byte bucket is refilled up to. */
  #bytesAt: number;
  #violationStart = 0;
  /** Whole ms (rounded up) of the last drop; meaningful once #drops > 0. */
  #lastDrop = 0;
  #drops = 0;

  /** `limits` is kept by reference: one object for every socket's limiter. */
  constructor(limits: RateLimits, now: number) {
    this.#limits = limits;
    this.#milliFrames = limits.burstFrames * 1000;
    this.#milliBytes = limits.burstBytes * 1000;
    this.#framesAt = Math.ceil(now);
    this.#bytesAt = this.#framesAt;
  }

  /** Accounts one frame of `bytes` at `now` (monotonic ms). */
  take(bytes: number, now: number): RateVerdict {
    const at = Math.floor(now);
    const { burstFrames, burstBytes, framesPerSec, bytesPerSec } = this.#limits;
    // A rate per second times whole ms is thousandths per ms: no division, no fraction.
    let elapsedMs = at - this.#framesAt;
    if (elapsedMs !== 0) {
      const frames = this.#milliFrames + Math.max(0, elapsedMs) * framesPerSec;
      this.#milliFrames = Math.min(burstFrames * 1000, frames);
      // The fraction of a ms not counted yet is counted next time, unless the bucket is full
      // (refill above the burst is dropped) or time went backwards (refill starts again).
      this.#framesAt = elapsedMs < 0 || frames >= burstFrames * 1000 ? Math.ceil(now) : at;
    }
    elapsedMs = at - this.#bytesAt;
    if (elapsedMs !== 0) {
      const bytes = this.#milliBytes + Math.max(0, elapsedMs) * bytesPerSec;
      this.#milliBytes = Math.min(burstBytes * 1000, bytes);
      this.#bytesAt = elapsedMs < 0 || bytes >= burstBytes * 1000 ? Math.ceil(now) : at;
    }
    if (this.#milliFrames >= 1000 && this.#milliBytes >= bytes * 1000) {
      this.#milliFrames -= 1000;
      this.#milliBytes -= bytes * 1000;
      return 'pass';
    }
    if (this.#drops === 0 || now - this.#lastDrop > CONTINUOUS_GAP_MS) {
      this.#violationStart = at;
      this.#drops = 0;
    }
    this.#lastDrop = Math.ceil(now);
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
