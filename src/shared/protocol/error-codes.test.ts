import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, ERRORS, ErrorCode, ErrorKind, INTERNAL_ERROR } from './error-codes.js';

test('every error code has one spec: kind, close code, retry', () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.values(ErrorCode).sort());
  const kinds = new Set<string>(Object.values(ErrorKind));
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.ok(kinds.has(spec.kind), code);
    assert.ok(spec.close === null || Object.values(CloseCode).includes(spec.close), code);
  }
});

test('the close codes protocol.md names: TOO_LARGE 1009, RATE_LIMITED 1008, SERVER_BUSY 1013; hangup-like SESSION_ENDED 1000', () => {
  assert.equal(ERRORS.TOO_LARGE.close, 1009);
  assert.equal(ERRORS.RATE_LIMITED.close, 1008);
  assert.equal(ERRORS.SERVER_BUSY.close, 1013);
  assert.equal(ERRORS.SESSION_FULL.close, 1008);
  assert.equal(ERRORS.SESSION_ENDED.close, 1000);
  assert.equal(ERRORS.QUEUE_FULL.close, null, 'a full queue never ends the call');
});

test('style.md §4: SESSION_FULL and SESSION_ENDED are expected refusals, garbage is a protocol error, a bug is internal (1011)', () => {
  assert.equal(ERRORS.SESSION_FULL.kind, 'refusal');
  assert.equal(ERRORS.SESSION_ENDED.kind, 'refusal');
  assert.equal(ERRORS.BAD_MESSAGE.kind, 'protocol');
  assert.equal(INTERNAL_ERROR.kind, 'internal');
  assert.equal(INTERNAL_ERROR.close, 1011);
  assert.equal(INTERNAL_ERROR.code, 'SERVER_BUSY', 'no internals reach a client');
});

test('retry: only what may pass later unchanged (busy, rate, queue)', () => {
  const retriable = Object.entries(ERRORS)
    .filter(([, spec]) => spec.retry)
    .map(([code]) => code)
    .sort();
  assert.deepEqual(retriable, ['QUEUE_FULL', 'RATE_LIMITED', 'SERVER_BUSY']);
});

test('the client liveness close code is private-range and not a clean close', () => {
  assert.ok(CloseCode.CLIENT_LIVENESS >= 4000 && CloseCode.CLIENT_LIVENESS <= 4999);
  assert.notEqual(CloseCode.CLIENT_LIVENESS, CloseCode.NORMAL);
  assert.notEqual(CloseCode.CLIENT_LIVENESS, CloseCode.GOING_AWAY);
});
