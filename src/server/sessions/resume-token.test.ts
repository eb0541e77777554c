import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { ResumeTokens, type TokenClaims } from './resume-token.js';

const claims = (): TokenClaims => ({
  sessionId: randomUUID(),
  contextId: randomBytes(8).toString('hex'),
  place: 1,
  occupant: randomBytes(8).toString('hex'),
  gen: 7,
  issuedAt: Date.now(),
  createdAt: Date.now() - 1000,
});

test('a signed token verifies back to exactly its claims', () => {
  const tokens = new ResumeTokens(randomBytes(32));
  const c = claims();
  assert.deepEqual(tokens.verify(tokens.sign(c)), c);
});

test('R2: a token signed with another secret, or any single-character change, is refused', () => {
  const tokens = new ResumeTokens(randomBytes(32));
  const token = tokens.sign(claims());
  assert.equal(new ResumeTokens(randomBytes(32)).verify(token), null);
  for (let i = 0; i < token.length; i++) {
    const swapped = token[i] === 'A' ? 'B' : 'A';
    assert.equal(tokens.verify(token.slice(0, i) + swapped + token.slice(i + 1)), null, `position ${i}`);
  }
});

test('R2: random strings are never accepted', () => {
  const tokens = new ResumeTokens(randomBytes(32));
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => tokens.verify(s) === null),
    { numRuns: 2000 },
  );
});

test('a secret shorter than 32 bytes is a configuration bug', () => {
  assert.throws(() => new ResumeTokens(randomBytes(16)));
});
