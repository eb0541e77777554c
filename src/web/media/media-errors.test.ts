import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DICTIONARIES } from '../i18n/i18n.js';
import { MEDIA_ERROR_TEXT, MediaErrorCode, classifyMediaError } from './media-errors.js';

test('getUserMedia errors map to a small set of codes', () => {
  const e = (name: string) => ({ name, message: 'x' });
  assert.equal(classifyMediaError(e('NotAllowedError')), 'denied');
  assert.equal(classifyMediaError(e('SecurityError')), 'denied');
  assert.equal(classifyMediaError(e('NotFoundError')), 'no-devices');
  assert.equal(classifyMediaError(e('OverconstrainedError')), 'no-devices');
  assert.equal(classifyMediaError(e('NotReadableError')), 'busy');
  assert.equal(classifyMediaError(new TypeError('no mediaDevices')), 'unsupported');
  assert.equal(classifyMediaError('weird'), 'busy');
});

test('every code has user text in both languages', () => {
  for (const code of Object.values(MediaErrorCode)) {
    const key = MEDIA_ERROR_TEXT[code];
    assert.ok(DICTIONARIES.ru[key].length > 10);
    assert.ok(DICTIONARIES.en[key].length > 10);
  }
});
