import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSessionLink } from './session-link.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';

test('no session parameter: home', () => {
  assert.deepEqual(readSessionLink(''), { kind: 'home' });
  assert.deepEqual(readSessionLink('?utm=x'), { kind: 'home' });
});

test('a UUID in any case joins, normalised to lower case', () => {
  assert.deepEqual(readSessionLink(`?session=${ID}`), { kind: 'join', sessionId: ID });
  assert.deepEqual(readSessionLink(`?session=${ID.toUpperCase()}`), { kind: 'join', sessionId: ID });
});

test('a malformed id is a bad link (not-found screen)', () => {
  for (const bad of [
    '?session=',
    '?session=123',
    `?session=${ID}x`,
    `?session={${ID}}`,
    '?session=00000000-0000-0000-0000-000000000000',
  ]) {
    assert.deepEqual(readSessionLink(bad), { kind: 'bad-link' }, bad);
  }
});
