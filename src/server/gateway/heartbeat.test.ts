import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { Heartbeat } from './heartbeat.js';

class Item {
  alive = true;
  lastSeen = 0;
  pings = 0;
  dropped = false;
  ping() {
    this.pings += 1;
  }
  drop() {
    this.dropped = true;
  }
}

let clock = 0;
let beat: Heartbeat<Item> | null = null;
const advance = async (t: { mock: { timers: { tick(ms: number): void } } }, ms: number) => {
  for (let i = 0; i < ms / 10; i++) {
    clock += 10;
    t.mock.timers.tick(10);
  }
};

beforeEach(() => {
  clock = 0;
});
afterEach(() => beat?.stop());

test('every socket is pinged once per interval, a slice per tick', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  beat = new Heartbeat<Item>({ intervalMs: 1000, dropAfterMs: 2000, now: () => clock, tickMs: 100 });
  const items = Array.from({ length: 50 }, () => new Item());
  for (const i of items) beat.add(i);
  await advance(t, 100);
  const first = items.filter((i) => i.pings === 1).length;
  assert.ok(first > 0 && first < 50, `one tick visits a slice, not everyone (${first})`);
  await advance(t, 900);
  assert.deepEqual(new Set(items.map((i) => i.pings)), new Set([1]), 'each one exactly once per interval');
});

test('a silent socket is dropped after dropAfterMs; a live one never', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, now: () => clock, tickMs: 100 });
  const [silent, live] = [new Item(), new Item()];
  beat.add(silent);
  beat.add(live);
  for (let k = 0; k < 10; k++) {
    live.alive = true;
    await advance(t, 100);
  }
  assert.equal(silent.dropped, true);
  assert.equal(live.dropped, false);
});

test('after a stall of our own event loop nobody is judged in that round', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, now: () => clock, tickMs: 200 });
  const item = new Item();
  beat.add(item);
  await advance(t, 200);
  // The loop was blocked for 2 s: the clock jumps, the timer fires late once.
  clock += 2000;
  t.mock.timers.tick(200);
  assert.equal(item.dropped, false);
});

test('a deleted socket is never visited again', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  beat = new Heartbeat<Item>({ intervalMs: 200, dropAfterMs: 400, now: () => clock });
  const item = new Item();
  beat.add(item);
  beat.delete(item);
  await advance(t, 1000);
  assert.equal(item.pings, 0);
});
