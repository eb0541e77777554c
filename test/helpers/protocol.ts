import assert from 'node:assert/strict';
import { ERROR_MESSAGES, type ErrorCode } from '../../src/shared/protocol/error-codes.js';
import { type Frame, TestClient } from './client.js';
import { uuid } from './ids.js';

/** The `sessionId` an error must carry, or the list of acceptable ones when protocol.md leaves it open. */
export type IdExpectation = string | null | Array<string | null>;

/**
 * Asserts an `error` frame of protocol.md: exactly `type`, `sessionId`, `code`, `message`; the
 * message is the default text of the code, 1–200 characters, with no stack, no path and no echo
 * of what the client sent (reliability.md M13: no substring of 16+ characters of the input).
 */
export function assertError(frame: Frame, code: ErrorCode, sessionId: IdExpectation, input?: string): void {
  assert.equal(frame.type, 'error', `expected an error frame, got ${JSON.stringify(frame).slice(0, 300)}`);
  assert.deepEqual(Object.keys(frame).sort(), ['code', 'message', 'sessionId', 'type']);
  assert.equal(frame.code, code, `expected ${code}, got ${JSON.stringify(frame)}`);
  if (Array.isArray(sessionId)) {
    assert.ok(
      sessionId.includes(frame.sessionId as string | null),
      `error sessionId ${frame.sessionId} not in ${sessionId}`,
    );
  } else {
    assert.equal(frame.sessionId, sessionId);
  }
  const message = frame.message;
  assert.equal(typeof message, 'string');
  assert.equal(message, ERROR_MESSAGES[code]);
  assert.ok((message as string).length >= 1 && (message as string).length <= 200);
  assert.doesNotMatch(message as string, /\n\s+at |\/src\/|\.ts:|node:internal|Error:/);
  if (input !== undefined) assertNoEcho(message as string, input);
}

/** No substring of 16 or more characters of `input` appears in `text`. */
export function assertNoEcho(text: string, input: string): void {
  for (let i = 0; i + 16 <= input.length; i += 4) {
    const piece = input.slice(i, i + 16);
    assert.ok(!text.includes(piece), `echoed input: ${piece}`);
  }
}

export async function expectError(
  client: TestClient,
  code: ErrorCode,
  sessionId: IdExpectation,
  input?: string,
): Promise<Frame> {
  const frame = await client.next('error');
  assertError(frame, code, sessionId, input);
  return frame;
}

export interface Pair {
  id: string;
  a: TestClient;
  b: TestClient;
  /** `joined` frames of A (first, peer false) and B (second, peer true). */
  ja: Frame;
  jb: Frame;
}

/** Joins A then B on a fresh id and consumes the handshake frames (A's `peer` `joined` too). */
export async function joinPair(wsUrl: string, id = uuid()): Promise<Pair> {
  const a = await TestClient.connect(wsUrl);
  const ja = await a.join(id);
  assert.equal(ja.peer, false);
  const b = await TestClient.connect(wsUrl);
  const jb = await b.join(id);
  assert.equal(jb.peer, true);
  assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  return { id, a, b, ja, jb };
}

export const sdp = (tag: string): string => `v=0\r\no=- ${tag} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n`;

/** A relayed offer exactly as the peer must receive it. */
export const offer = (sessionId: string, tag: string) => ({ type: 'offer', sessionId, sdp: sdp(tag) });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Rule 8 and reliability.md D7: no log line carries a session id (any letter case), a token, SDP
 * or candidate text; `after` lines may not carry a client IP either.
 */
export function assertLogsClean(lines: readonly string[], secrets: readonly string[], ipAfterIndex = 0): void {
  for (const [i, line] of lines.entries()) {
    for (const secret of secrets) {
      if (!secret) continue;
      assert.ok(
        !line.includes(secret) && !line.toLowerCase().includes(secret.toLowerCase()),
        `log line leaks ${secret.slice(0, 12)}…: ${line.slice(0, 300)}`,
      );
    }
    assert.ok(!/v=0|candidate:\d/.test(line), `log line leaks SDP or a candidate: ${line.slice(0, 300)}`);
    if (i >= ipAfterIndex)
      assert.ok(
        !line.includes('127.0.0.1') || /"msg":"listening"/.test(line),
        `log line leaks an IP: ${line.slice(0, 300)}`,
      );
  }
}

/**
 * Ordering proof, instead of a sleep, that no frame is owed to `c`: it sends `ping`, and `pong`
 * must be its very next frame. The server handles one socket's frames in order and writes each
 * socket's frames in order, so a frame caused by anything handled before the ping (this
 * socket's earlier frames, or another socket's whose reply the test has already seen) arrives
 * ahead of the pong and fails the check.
 */
export async function expectQuiet(c: TestClient, sessionId: string): Promise<void> {
  c.send({ type: 'ping', sessionId });
  assert.deepEqual(await c.next(), { type: 'pong', sessionId }, 'pong is the next frame: nothing arrived before it');
}

/**
 * The same proof along the relay path: `from` relays a marker offer, which must be the next
 * frame of `to`; whatever `from`'s earlier frames would have relayed to `to` arrives ahead of it.
 */
export async function expectQuietVia(
  from: TestClient,
  to: TestClient,
  sessionId: string,
  tag = 'marker',
): Promise<void> {
  from.send(offer(sessionId, tag));
  assert.deepEqual(await to.next(), offer(sessionId, tag), 'the marker is the next frame: nothing arrived before it');
}

/** Waits, polling and bounded by `ms`, until `check` holds; fails naming `what` otherwise. */
export async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** The log tag of the one session created in `lines` (the server logs a keyed hash, never the id). */
export function createdTag(lines: readonly string[]): string {
  const tags = lines.flatMap((l) => {
    const entry = parseLogLine(l);
    return entry?.event === 'created' && typeof entry.session === 'string' ? [entry.session] : [];
  });
  assert.equal(tags.length, 1, `one session created in these lines, got ${tags.length}`);
  return tags[0] as string;
}

/** Whether the session logged under `tag` has been logged as ended (for `reason`, when given). */
export function hasEnded(logs: readonly string[], tag: string, reason?: string): boolean {
  return logs.some((l) => {
    const entry = parseLogLine(l);
    return entry?.session === tag && entry.event === 'ended' && (reason === undefined || entry.reason === reason);
  });
}

function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
