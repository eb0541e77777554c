import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { createIceServerProvider } from './ice-servers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
/** The clock stands at NOW. */
const clock = new FakeClock(NOW);
const base = { stunUrls: [] as string[], turnUrls: [] as string[], turnSecret: undefined, turnTtlMs: 12 * HOUR };

test('nothing configured: an empty list (nothing reaches a third party by default)', () => {
  assert.deepEqual(createIceServerProvider(base, { clock })(NOW + HOUR), []);
});

test('STUN only: the configured URLs, no credentials', () => {
  const provide = createIceServerProvider(
    { ...base, stunUrls: ['stun:a.example.org:3478', 'stun:b.example.org'] },
    { clock },
  );
  assert.deepEqual(provide(NOW + HOUR), [{ urls: ['stun:a.example.org:3478', 'stun:b.example.org'] }]);
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
  const servers = provide(NOW + 24 * HOUR);
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
  const [turn] = provide(NOW + 2 * HOUR + 999);
  assert.equal(turn?.username, `${Math.floor((NOW + 2 * HOUR + 999) / 1000)}:homecall`);
});

test('each call returns a fresh list (a caller mutating it cannot change the next one)', () => {
  const provide = createIceServerProvider({ ...base, stunUrls: ['stun:a.example.org'] }, { clock });
  const urls = provide(NOW)[0]?.urls;
  assert.ok(Array.isArray(urls));
  urls.push('stun:evil.example');
  assert.deepEqual(provide(NOW), [{ urls: ['stun:a.example.org'] }]);
});
