import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetsInOrder } from '../../bench/lib/with-server.js';

test('the targets run A B in odd repetitions and B A in even ones, the given list untouched', () => {
  const targets = Object.freeze(['homecall', 'floor'] as const);
  assert.deepEqual(targetsInOrder(targets, 1), ['homecall', 'floor']);
  assert.deepEqual(targetsInOrder(targets, 2), ['floor', 'homecall']);
  assert.deepEqual(targetsInOrder(targets, 3), ['homecall', 'floor']);
  assert.deepEqual(targetsInOrder(['homecall-proxy', 'floor-ws', 'peerjs'], 2), [
    'peerjs',
    'floor-ws',
    'homecall-proxy',
  ]);
  assert.deepEqual(targets, ['homecall', 'floor']);
});
