import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerDeadline } from './answer-deadline.js';

test('a late answer doubles the wait up to the cap; prompt answers halve it back to the base', () => {
  const d = new AnswerDeadline({ baseMs: 2_000, maxMs: 16_000 });
  assert.equal(d.ms, 2_000);
  for (const expected of [4_000, 8_000, 16_000, 16_000]) {
    d.answeredLate();
    assert.equal(d.ms, expected);
  }
  d.answered(5_000);
  assert.equal(d.ms, 16_000, 'a slow answer (over the base) does not shrink it');
  for (const expected of [8_000, 4_000, 2_000, 2_000]) {
    d.answered(100);
    assert.equal(d.ms, expected);
  }
});
