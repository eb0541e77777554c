import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { Heartbeat } from './heartbeat.js';

class Item {
  alive = true;
  lastSeen = 0;
  heartbeatBucket = -1;
  pings = 0;
  dropped = false;
  ping() {
    this.pings += 1;
  }
  drop() {
    this.dropped = true;
  }
}

let beat: Heartbeat<Item> | null = null;
/** Advances in 10 ms steps, as the event loop would visit the timers. */
const advance = (clock: FakeClock, ms: number) => {
  for (let i = 0; i < ms / 10; i++) clock.advance(10);
};

afterEach(() => beat?.stop());

test('every socket is pinged once per interval, a slice per tick', () => {
  const clock = new FakeClock();
  beat = new Heartbeat<Item>({ intervalMs: 1000, dropAfterMs: 2000, clock, tickMs: 100 });
  const items = Array.from({ length: 50 }, () => new Item());
  for (const i of items) beat.add(i);
  advance(clock, 100);
  const first = items.filter((i) => i.pings === 1).length;
  assert.ok(first > 0 && first < 50, `one tick visits a slice, not everyone (${first})`);
  advance(clock, 900);
  assert.deepEqual(new Set(items.map((i) => i.pings)), new Set([1]), 'each one exactly once per interval');
});

test('a silent socket is dropped after dropAfterMs; a live one never', () => {
  const clock = new FakeClock();
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, clock, tickMs: 100 });
  const [silent, live] = [new Item(), new Item()];
  beat.add(silent);
  beat.add(live);
  for (let k = 0; k < 10; k++) {
    live.alive = true;
    advance(clock, 100);
  }
  assert.equal(silent.dropped, true);
  assert.equal(live.dropped, false);
});

test('after a stall of our own event loop nobody is judged in that round', () => {
  const clock = new FakeClock();
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, clock, tickMs: 200 });
  const item = new Item();
  beat.add(item);
  advance(clock, 200);
  // The loop was blocked for 2 s: the clock jumps, the timer fires late once.
  clock.stall(2000);
  clock.advance(0);
  assert.equal(item.pings, 2, 'the late tick did visit the socket');
  assert.equal(item.dropped, false);
});

test('a deleted socket is never visited again', () => {
  const clock = new FakeClock();
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, clock });
  const item = new Item();
  beat.add(item);
  beat.delete(item);
  advance(clock, 1000);
  assert.equal(item.pings, 0);
});

test('stop() cancels the next visit', () => {
  const clock = new FakeClock();
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, clock, tickMs: 200 });
  const item = new Item();
  beat.add(item);
  beat.stop();
  assert.equal(clock.pending, 0);
  advance(clock, 1000);
  assert.equal(item.pings, 0);
});
