import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';

const TIME_BYTES = 6;
const MAC_BYTES = 12;

export type NonceVerdict = 'valid' | 'stale' | 'invalid';

/**
 * Stateless nonces: base64url(issue time ‖ HMAC(key, issue time)). Nothing is stored per client;
 * a nonce older than `ttlMs` is stale (438), one that does not verify is invalid. Time is the
 * injected monotonic clock, which is fine because the key lives only as long as the process.
 */
export class NonceIssuer {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #key: Buffer;

  constructor(options: { clock: Clock; ttlMs: number; key?: Buffer }) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs;
    this.#key = options.key ?? randomBytes(32);
  }

  issue(): string {
    const time = Buffer.alloc(TIME_BYTES);
    time.writeUIntBE(Math.max(0, Math.floor(this.#clock.now())), 0, TIME_BYTES);
    return Buffer.concat([time, this.#mac(time)]).toString('base64url');
  }

  check(nonce: string): NonceVerdict {
    if (nonce.length !== 24 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return 'invalid';
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== TIME_BYTES + MAC_BYTES) return 'invalid';
    const time = bytes.subarray(0, TIME_BYTES);
    if (!timingSafeEqual(this.#mac(time), bytes.subarray(TIME_BYTES))) return 'invalid';
    const age = this.#clock.now() - time.readUIntBE(0, TIME_BYTES);
    return age >= 0 && age < this.#ttlMs ? 'valid' : 'stale';
  }

  #mac(time: Buffer): Buffer {
    return createHmac('sha256', this.#key).update('nonce').update(time).digest().subarray(0, MAC_BYTES);
  }
}
