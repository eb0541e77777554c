import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type RateLimits, RateLimiter, TokenBucket } from './rate-limiter.js';

// Deterministic: every call passes its own time (monotonic ms), so no clock and no sleep.

const LIMITS: RateLimits = { burstFrames: 5, burstBytes: 1000, framesPerSec: 10, bytesPerSec: 2000 };

describe('RateLimiter (protocol.md limits: burst and sustained, frames and bytes)', () => {
  test('a burst up to the frame bucket passes; the next frame in the same instant is dropped', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    for (let i = 0; i < 5; i++) assert.equal(limiter.take(10, 0), 'pass', `frame ${i}`);
    assert.equal(limiter.take(10, 0), 'drop');
  });

  test('the byte bucket limits on its own: one frame larger than what is left is dropped', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    assert.equal(limiter.take(900, 0), 'pass');
    assert.equal(limiter.take(200, 0), 'drop');
    assert.equal(limiter.take(100, 0), 'pass', 'a frame that fits what is left still passes');
  });

  test('buckets refill at the sustained rate, never above the burst', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    for (let i = 0; i < 5; i++) limiter.take(1, 0);
    assert.equal(limiter.take(1, 0), 'drop');
    // 10 frames/s: one new frame every 100 ms.
    assert.equal(limiter.take(1, 99), 'drop');
    assert.equal(limiter.take(1, 200), 'pass');
    // A long silence refills to the burst (5), not to 10 s × 10 frames/s.
    const rested = new RateLimiter(LIMITS, 0);
    let passed = 0;
    for (let i = 0; i < 20; i++) if (rested.take(1, 10_000) === 'pass') passed++;
    assert.equal(passed, 5);
  });

  test('fractions of a ms never refill more than the exact bucket', () => {
    const limiter = new RateLimiter(LIMITS, 0.5);
    for (let i = 0; i < 5; i++) assert.equal(limiter.take(1, 0.5), 'pass', `frame ${i}`);
    // 10 frames/s: the exact bucket holds 0.999 frames at 100.4 ms (99.9 ms later), not one.
    assert.equal(limiter.take(1, 100.4), 'drop');
    assert.equal(limiter.take(1, 101), 'pass', 'a whole frame 100.5 ms later');
  });

  test('time going backwards refills nothing', () => {
    const limiter = new RateLimiter(LIMITS, 1000);
    for (let i = 0; i < 5; i++) limiter.take(1, 1000);
    assert.equal(limiter.take(1, 0), 'drop');
  });

  test('persistent abuse: 100 drops in one continuous violation', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    for (let i = 0; i < 5; i++) limiter.take(1, 0);
    const verdicts = Array.from({ length: 100 }, () => limiter.take(1, 0));
    assert.deepEqual(verdicts.slice(0, 99), Array(99).fill('drop'));
    assert.equal(verdicts[99], 'abuse');
  });

  test('persistent abuse: 3 s of continuous violation, even with few drops', () => {
    const limiter = new RateLimiter({ ...LIMITS, framesPerSec: 0 }, 0);
    for (let i = 0; i < 5; i++) limiter.take(1, 0);
    // One dropped frame every 900 ms: gaps under 1 s keep the violation continuous.
    const verdicts = [0, 900, 1800, 2700, 3600].map((t) => limiter.take(1, t));
    assert.deepEqual(verdicts, ['drop', 'drop', 'drop', 'drop', 'abuse']);
  });

  test('a pause over 1 s between drops starts a new violation: bursts now and then are not abuse', () => {
    const limiter = new RateLimiter({ ...LIMITS, framesPerSec: 0 }, 0);
    for (let i = 0; i < 5; i++) limiter.take(1, 0);
    const verdicts = [0, 1500, 3000, 4500, 6000].map((t) => limiter.take(1, t));
    assert.deepEqual(verdicts, ['drop', 'drop', 'drop', 'drop', 'drop']);
    for (let i = 0; i < 98; i++) assert.equal(limiter.take(1, 6000), 'drop');
    assert.equal(limiter.take(1, 6000), 'abuse', 'the 100th drop of the new violation is abuse');
  });
});

describe('TokenBucket (error replies: a small burst, then a steady rate)', () => {
  test('capacity at once, then one per 1/rate seconds', () => {
    const bucket = new TokenBucket(5, 1, 0);
    const first = Array.from({ length: 6 }, () => bucket.take(0));
    assert.deepEqual(first, [true, true, true, true, true, false]);
    assert.equal(bucket.take(999), false);
    assert.equal(bucket.take(1000), true);
    assert.equal(bucket.take(1000), false);
  });

  test('never holds more than its capacity, and time going backwards adds nothing', () => {
    const bucket = new TokenBucket(2, 1, 0);
    let granted = 0;
    for (let i = 0; i < 10; i++) if (bucket.take(60_000)) granted++;
    assert.equal(granted, 2);
    assert.equal(bucket.take(0), false);
  });
});
