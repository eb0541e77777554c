import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { DeadlineQueue } from './deadline-queue.js';

function setup(delayMs = 100) {
  const clock = new FakeClock();
  const expired: string[] = [];
  const queue = new DeadlineQueue<string>({ clock, delayMs, expire: (item) => expired.push(item) });
  return { clock, expired, queue };
}

test('each item expires its own delay after it was added, in order, with one timer', () => {
  const { clock, expired, queue } = setup(100);
  queue.add('a');
  clock.advance(30);
  queue.add('b');
  clock.advance(30);
  queue.add('c');
  assert.equal(clock.pending, 1, 'one timer for three deadlines');
  clock.advance(39);
  assert.deepEqual(expired, []);
  clock.advance(1);
  assert.deepEqual(expired, ['a'], 'a at 100');
  clock.advance(29);
  assert.deepEqual(expired, ['a']);
  clock.advance(1);
  assert.deepEqual(expired, ['a', 'b'], 'b at 130');
  clock.advance(30);
  assert.deepEqual(expired, ['a', 'b', 'c'], 'c at 160');
  assert.equal(queue.size, 0);
  assert.equal(clock.pending, 0, 'no timer left once empty');
});

test('a deleted item never expires, also when it was the oldest; stop() ends every deadline', () => {
  const { clock, expired, queue } = setup(100);
  queue.add('a');
  clock.advance(50);
  queue.add('b');
  queue.delete('a');
  clock.advance(50);
  assert.deepEqual(expired, []);
  clock.advance(50);
  assert.deepEqual(expired, ['b']);
  queue.add('c');
  queue.stop();
  clock.advance(1000);
  assert.deepEqual(expired, ['b']);
  assert.equal(clock.pending, 0);
});

test('items with their own delays: those in deadline order share one timer, an earlier one gets its own; each expires at its deadline', () => {
  const { clock, expired, queue } = setup(1000);
  queue.add('full-1');
  clock.advance(10);
  queue.add('full-2');
  queue.add('later', 2000);
  assert.equal(clock.pending, 1, 'in deadline order: one timer');
  queue.add('short', 100);
  assert.equal(clock.pending, 2, 'earlier than the newest: a timer of its own');
  assert.equal(queue.size, 4);
  clock.advance(99);
  assert.deepEqual(expired, []);
  clock.advance(1);
  assert.deepEqual(expired, ['short'], 'short at 110');
  clock.advance(889);
  assert.deepEqual(expired, ['short']);
  clock.advance(1);
  assert.deepEqual(expired, ['short', 'full-1'], 'full-1 at 1000');
  clock.advance(10);
  assert.deepEqual(expired, ['short', 'full-1', 'full-2'], 'full-2 at 1010');
  // Added again, an own-timer item moves: the old deadline is gone.
  queue.add('moved', 50);
  queue.add('moved', 5000);
  clock.advance(1000);
  assert.deepEqual(expired, ['short', 'full-1', 'full-2', 'later'], 'later at 2010');
  queue.add('own', 10);
  queue.delete('own');
  clock.advance(100);
  assert.deepEqual(expired, ['short', 'full-1', 'full-2', 'later'], 'a deleted own-timer item never expires');
  queue.add('own', 10);
  queue.stop();
  clock.advance(10_000);
  assert.deepEqual(expired, ['short', 'full-1', 'full-2', 'later']);
  assert.equal(clock.pending, 0);
});
