import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { TurnCredentials } from './turn-credentials.js';

const HOUR = 3_600_000;
const TTL_MS = 10 * 60_000;

function minted(clock: FakeClock) {
  const credentials = new TurnCredentials({ clock, ttlMs: TTL_MS });
  // The seat's own end is far away: the TTL decides.
  const { username } = credentials.mint({ contextId: 'ctx', place: 0, expiresAtMs: clock.wallNow() + 24 * HOUR });
  const holder = credentials.holderOf(username);
  assert.ok(holder, 'a freshly minted username is ours');
  return { credentials, holder };
}

test('a built-in TURN credential expires after its TTL', () => {
  const clock = new FakeClock();
  const { credentials, holder } = minted(clock);
  clock.advance(TTL_MS - 1000);
  assert.equal(credentials.isExpired(holder), false);
  clock.advance(1000);
  assert.equal(credentials.isExpired(holder), true);
});

test('X7: the wall clock jumping an hour ahead expires no TURN credential early', () => {
  const clock = new FakeClock();
  const { credentials, holder } = minted(clock);
  clock.jumpWall(HOUR);
  assert.equal(credentials.isExpired(holder), false, 'still within its TTL by monotonic time');
  clock.advance(TTL_MS);
  assert.equal(credentials.isExpired(holder), true);
});

test('X7: the wall clock jumping an hour back keeps no TURN credential late', () => {
  const clock = new FakeClock();
  const { credentials, holder } = minted(clock);
  clock.jumpWall(-HOUR);
  clock.advance(TTL_MS);
  assert.equal(credentials.isExpired(holder), true, 'its TTL has passed by monotonic time');
});

test('X7: a credential minted after a wall-clock jump lives its full TTL', () => {
  const clock = new FakeClock();
  const credentials = new TurnCredentials({ clock, ttlMs: TTL_MS });
  clock.jumpWall(-HOUR);
  const { username } = credentials.mint({ contextId: 'ctx', place: 1, expiresAtMs: clock.wallNow() + 24 * HOUR });
  const holder = credentials.holderOf(username);
  assert.ok(holder);
  clock.advance(TTL_MS - 1000);
  assert.equal(credentials.isExpired(holder), false);
  clock.advance(1000);
  assert.equal(credentials.isExpired(holder), true);
});

test("X7: after a wall-clock jump, a credential capped by the seat's end lives until that end", () => {
  const clock = new FakeClock();
  const credentials = new TurnCredentials({ clock, ttlMs: TTL_MS });
  clock.jumpWall(-HOUR);
  // The call ends in 5 minutes (a wall time read after the jump), sooner than the TTL.
  const { username } = credentials.mint({ contextId: 'ctx', place: 0, expiresAtMs: clock.wallNow() + 5 * 60_000 });
  const holder = credentials.holderOf(username);
  assert.ok(holder);
  clock.advance(5 * 60_000 - 1000);
  assert.equal(credentials.isExpired(holder), false);
  clock.advance(1000);
  assert.equal(credentials.isExpired(holder), true);
});
