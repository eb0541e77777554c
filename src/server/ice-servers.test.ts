import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { createIceServerProvider } from './ice-servers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
/** The clock stands at NOW. */
const clock = new FakeClock(NOW);
/** A seat whose session ends at `expiresAtMs`. */
const seat = (expiresAtMs: number) => ({ contextId: 'ctx', place: 0 as const, expiresAtMs });
const base = { stunUrls: [] as string[], turnUrls: [] as string[], turnSecret: undefined, turnTtlMs: 12 * HOUR };

test('nothing configured: an empty list (nothing reaches a third party by default)', () => {
  assert.deepEqual(createIceServerProvider(base, { clock })(seat(NOW + HOUR)), []);
});

test('STUN only: the configured URLs, no credentials', () => {
  const provide = createIceServerProvider(
    { ...base, stunUrls: ['stun:a.example.org:3478', 'stun:b.example.org'] },
    { clock },
  );
  assert.deepEqual(provide(seat(NOW + HOUR)), [{ urls: ['stun:a.example.org:3478', 'stun:b.example.org'] }]);
});

test('TURN credential is the coturn REST scheme, checked against a vector computed with openssl', () => {
  const secret = 'north-wind-7';
  const provide = createIceServerProvider(
    {
      ...base,
      stunUrls: ['stun:t.example.org'],
      turnUrls: ['turn:t.example.org:3478?transport=udp'],
      turnSecret: secret,
    },
    { clock },
  );
  const servers = provide(seat(NOW + 24 * HOUR));
  assert.equal(servers.length, 2);
  assert.deepEqual(servers[0], { urls: ['stun:t.example.org'] });
  const turn = servers[1];
  assert.ok(turn);
  assert.deepEqual(turn.urls, ['turn:t.example.org:3478?transport=udp']);
  // TTL (12 h) is sooner than the session end (24 h).
  assert.equal(turn.username, `${(NOW + 12 * HOUR) / 1000}:homecall`);
  // Computed outside this code: printf '%s' 1767312000:homecall | openssl dgst -sha1 -hmac north-wind-7 -binary | base64
  assert.equal(turn.username, '1767312000:homecall');
  assert.equal(turn.credential, 'X0ZdsJkHevueNXkFEhCneEtiHBU=');
  assert.ok(!JSON.stringify(servers).includes(secret), 'the secret never reaches a client');
});

test('TURN credential never outlives the session', () => {
  const provide = createIceServerProvider(
    { ...base, turnUrls: ['turns:t.example.org:5349'], turnSecret: 's' },
    { clock },
  );
  const [turn] = provide(seat(NOW + 2 * HOUR + 999));
  assert.equal(turn?.username, `${Math.floor((NOW + 2 * HOUR + 999) / 1000)}:homecall`);
});

test('each call returns a fresh list (a caller mutating it cannot change the next one)', () => {
  const provide = createIceServerProvider({ ...base, stunUrls: ['stun:a.example.org'] }, { clock });
  const urls = provide(seat(NOW))[0]?.urls;
  assert.ok(Array.isArray(urls));
  urls.push('stun:evil.example');
  assert.deepEqual(provide(seat(NOW)), [{ urls: ['stun:a.example.org'] }]);
});

test('built-in TURN: its URLs with a credential minted for the seat (coturn settings win when both exist)', () => {
  const minted: unknown[] = [];
  const builtin = {
    urls: () => ['turn:call.example.org:3478?transport=udp'],
    mint: (s: unknown) => {
      minted.push(s);
      return { username: '1:tag', credential: 'pw' };
    },
  };
  const provide = createIceServerProvider(base, { clock, builtin });
  assert.deepEqual(provide(seat(NOW + HOUR)), [
    { urls: ['turn:call.example.org:3478?transport=udp'], username: '1:tag', credential: 'pw' },
  ]);
  assert.deepEqual(minted, [seat(NOW + HOUR)]);
  const coturn = createIceServerProvider(
    { ...base, turnUrls: ['turn:c.example.org'], turnSecret: 's' },
    { clock, builtin },
  );
  assert.deepEqual(coturn(seat(NOW + HOUR))[0]?.urls, ['turn:c.example.org']);
  assert.equal(minted.length, 1, 'the built-in server steps aside');
});
