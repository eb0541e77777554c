import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { ContextTimers } from './context-timers.js';

const setup = () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const timers = new ContextTimers(
    { sessionId: 's', contextId: 'c' },
    { clock, limits: { aloneMs: 100, graceMs: 50 } },
  );
  return { clock, fired, timers };
};

test('each timer fires once at its limit: lifetime, alone, grace per place', () => {
  const { clock, fired, timers } = setup();
  timers.startLifetime(300, () => fired.push('lifetime'));
  timers.startAlone(() => fired.push('alone'));
  timers.startGrace(0, () => fired.push('grace0'));
  timers.startGrace(1, () => fired.push('grace1'));
  clock.advance(49);
  assert.equal(fired.length, 0);
  clock.advance(1);
  assert.deepEqual(fired, ['grace0', 'grace1']);
  clock.advance(50);
  assert.deepEqual(fired, ['grace0', 'grace1', 'alone']);
  clock.advance(1000);
  assert.deepEqual(fired, ['grace0', 'grace1', 'alone', 'lifetime']);
  assert.equal(clock.pending, 0);
});

test('restarting a timer replaces it; cancelling one leaves the others', () => {
  const { clock, fired, timers } = setup();
  timers.startAlone(() => fired.push('alone-1'));
  clock.advance(90);
  timers.startAlone(() => fired.push('alone-2'));
  timers.startGrace(0, () => fired.push('grace0'));
  timers.startGrace(1, () => fired.push('grace1'));
  timers.cancelGrace(0);
  clock.advance(100);
  assert.deepEqual(fired, ['grace1', 'alone-2']);
  timers.startAlone(() => fired.push('alone-3'));
  timers.cancelAlone();
  clock.advance(1000);
  assert.deepEqual(fired, ['grace1', 'alone-2']);
});

test('clear() cancels every timer of the context; a lifetime already past fires at once', () => {
  const { clock, fired, timers } = setup();
  timers.startLifetime(10, () => fired.push('lifetime'));
  timers.startAlone(() => fired.push('alone'));
  timers.startGrace(1, () => fired.push('grace'));
  timers.clear();
  assert.equal(clock.pending, 0);
  clock.advance(1000);
  assert.equal(fired.length, 0);
  timers.startLifetime(-5, () => fired.push('late'));
  clock.advance(0);
  assert.deepEqual(fired, ['late']);
});

test('the lifetime and alone callbacks are called with the timers’ context (one function serves every context)', () => {
  const { clock, timers } = setup();
  const seen: string[] = [];
  const onFall = (context: { sessionId: string; contextId: string }) =>
    seen.push(`${context.sessionId}/${context.contextId}`);
  timers.startAlone(onFall);
  timers.startLifetime(300, onFall);
  clock.advance(300);
  assert.deepEqual(seen, ['s/c', 's/c']);
});
