import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS, jitteredBackoff } from './reconnect-policy.js';

test('backoff doubles, stays within [step/2, step], and is capped', () => {
  const low = jitteredBackoff(() => 0);
  const high = jitteredBackoff(() => 1);
  assert.equal(low.delay(0), RECONNECT_BASE_MS / 2);
  assert.equal(high.delay(0), RECONNECT_BASE_MS);
  assert.equal(high.delay(1), RECONNECT_BASE_MS * 2);
  assert.equal(high.delay(50), RECONNECT_MAX_MS);
  assert.equal(low.delay(50), RECONNECT_MAX_MS / 2);
});

test('jitter spreads clients apart', () => {
  let x = 0.1;
  const p = jitteredBackoff(() => (x = (x * 7.3) % 1));
  const delays = new Set(Array.from({ length: 20 }, () => p.delay(3)));
  assert.ok(delays.size > 5);
});
