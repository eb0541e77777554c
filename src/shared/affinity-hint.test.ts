import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { affinityHint } from './affinity-hint.js';

test('affinityHint: 8 hex digits, stable per id, spread across ids, never containing the id', () => {
  const id = randomUUID();
  const hint = affinityHint(id);
  assert.match(hint, /^[0-9a-f]{8}$/);
  assert.equal(affinityHint(id), hint);
  for (const part of id.split('-')) assert.ok(!hint.includes(part) || part.length < 8);
  // FNV-1a of a known input (reference value), so the hint never changes between releases.
  assert.equal(affinityHint('a'), 'e40c292c');
  const hints = new Set(Array.from({ length: 1000 }, () => affinityHint(randomUUID())));
  assert.ok(hints.size > 990, `${hints.size} distinct hints of 1000`);
  // Both halves of a two-node hash get a fair share (nginx hashes the hint itself; this is a sanity check).
  const low = [...hints].filter((h) => Number.parseInt(h[0] as string, 16) < 8).length;
  assert.ok(low > 400 && low < 600, `${low} of ${hints.size} in the lower half`);
});
