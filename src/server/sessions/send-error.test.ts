import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { type CloseCode, type ErrorCode, ErrorCode as Codes } from '../../shared/protocol/index.js';
import type { PeerLink } from './connection.js';
import { sendError, sendInternalError } from './send-error.js';

class Link implements PeerLink {
  readonly id = 'l1';
  readonly errors: [ErrorCode, string | null][] = [];
  closed: [CloseCode, string] | null = null;
  /** How many throttled errors may still go out. */
  budget = Number.POSITIVE_INFINITY;
  send(): void {}
  sendText(): void {}
  sendError(code: ErrorCode, sessionId: string | null, throttled: boolean): boolean {
    if (throttled && this.budget-- <= 0) return false;
    this.errors.push([code, sessionId]);
    return true;
  }
  close(code: CloseCode, reason: string): void {
    this.closed = [code, reason];
  }
}

function logger() {
  const lines: { level: string; event?: string; code?: string; session?: string; err?: unknown }[] = [];
  const log = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (chunk: string) => void lines.push(JSON.parse(chunk)) },
  );
  return { log, lines };
}

test('style.md §4: logged by kind: protocol at warn, refusal at info, internal at error', () => {
  const { log, lines } = logger();
  const link = new Link();
  sendError(link, log, { code: Codes.BAD_MESSAGE, sessionId: null });
  sendError(link, log, { code: Codes.SESSION_FULL, sessionId: 'x', event: 'refused', detail: { session: 'tag' } });
  sendInternalError(log, new Error('boom'), { link, sessionId: 'x' });
  assert.deepEqual(
    lines.map((l) => [l.level, l.event, l.code]),
    [
      ['warn', 'error-sent', 'BAD_MESSAGE'],
      ['info', 'refused', 'SESSION_FULL'],
      ['error', 'internal-error', undefined],
    ],
  );
  assert.equal(lines[1]?.session, 'tag');
  assert.ok(lines[2]?.err, 'the bug is logged in full');
  assert.deepEqual(link.errors, [
    ['BAD_MESSAGE', null],
    ['SESSION_FULL', 'x'],
    ['SERVER_BUSY', 'x'],
  ]);
  assert.deepEqual(link.closed, [1011, 'internal error']);
});

test('closeReason closes with the code of the errors table; without it the socket stays open', () => {
  const { log } = logger();
  const open = new Link();
  sendError(open, log, { code: Codes.RATE_LIMITED, sessionId: null });
  assert.equal(open.closed, null);
  for (const [code, close] of [
    [Codes.TOO_LARGE, 1009],
    [Codes.RATE_LIMITED, 1008],
    [Codes.SERVER_BUSY, 1013],
    [Codes.SESSION_ENDED, 1000],
    [Codes.BAD_MESSAGE, 1003],
  ] as const) {
    const link = new Link();
    sendError(link, log, { code, sessionId: null, closeReason: 'why' });
    assert.deepEqual(link.closed, [close, 'why'], code);
  }
});

test('a throttled error that the budget holds back is neither sent nor logged (M11: no log flood)', () => {
  const { log, lines } = logger();
  const link = new Link();
  link.budget = 2;
  for (let i = 0; i < 10; i++) sendError(link, log, { code: Codes.BAD_MESSAGE, sessionId: null, throttled: true });
  assert.equal(link.errors.length, 2);
  assert.equal(lines.length, 2);
});

test('asking to close with a code that never closes is a bug, not a silent open socket', () => {
  const { log } = logger();
  assert.throws(() => sendError(new Link(), log, { code: Codes.QUEUE_FULL, sessionId: null, closeReason: 'x' }));
});

test('an internal error without a socket (a timer) is only logged', () => {
  const { log, lines } = logger();
  sendInternalError(log, new Error('timer bug'), null);
  assert.equal(lines[0]?.level, 'error');
});
