// The fuzz tier (reliability.md F9 and M13; M1–M10 at random): fast-check writes at least
// 100,000 random and mutated frames over 1,000 raw wss connections to a spawned server, 50 at a
// time. JSON level: random values, message-shaped objects with bad fields, prototype keys,
// byte mutations of valid messages, deep nesting, huge strings. Frame level: random FIN, RSV
// and opcodes, unmasked frames, lying and non-minimal lengths, truncated payloads, fragment
// floods, invalid UTF-8, oversize, bad close frames.
// Invariants: the server never crashes and logs no error; every frame it sends is a
// well-formed WebSocket frame carrying a frame of docs/protocol.md (an error frame only with
// its code's own message, so nothing is echoed); every connection it closes, it closes with a
// close frame and a code from {1000, 1002, 1003, 1007, 1008, 1009} (or the client's own valid
// code, echoed); a call between two other participants relays every frame, in order,
// throughout; afterwards sockets and sessions are back to 0 and the heap (after a full GC)
// within +10% of its baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ERROR_MESSAGES } from '../../src/shared/protocol/error-codes.js';
import { parseServerFrame } from '../../src/shared/protocol/parse.js';
import { type FuzzScript, fuzzScript, scriptBytes } from '../helpers/fuzz-frames.js';
import { uuid } from '../helpers/ids.js';
import { probeMemory } from '../helpers/memory-probe.js';
import { expectQuiet, joinPair, offer } from '../helpers/protocol.js';
import {
  Opcode,
  RawWsConnection,
  closePayload,
  decodeFrames,
  encodeFrame,
  frame,
  textFrame,
} from '../helpers/raw-ws.js';
import { type ChildServer, spawnServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { scrapeMetrics } from '../helpers/scrape-metrics.js';

const faults = useIntegrationSuite();

const CONNECTIONS = 1000;
const PARALLEL = 50;
const BATCH = 100;
/** Each connection's body holds at least this many frames, so the run writes at least 100,000. */
const BODY_ITEMS = 100;
const MIN_FRAMES = 100_000;
/** The close codes the server may choose (reliability.md F9) besides echoing a client's valid one. */
const SERVER_CLOSE_CODES = new Set([1000, 1002, 1003, 1007, 1008, 1009]);
/** Only bounds waits: a connection the server leaves open (a truncated frame) is dropped after this. */
const CONNECTION_WAIT_MS = 3000;
const QUIET_WAIT_MS = 60_000;

/**
 * The limiter is opened wide so that every frame reaches the parser and the validator (the
 * limiter's own behaviour is tested in test/integration/limits.test.ts); short timeouts so
 * connections left half-open and places held for grace are gone soon after the run.
 */
const FUZZ_FLAGS = {
  '--metrics-port': '0',
  '--sockets-per-address': '5000',
  '--join-timeout': '2s',
  '--grace': '1s',
  '--ping-interval': '1s',
  '--drop-after': '60s',
  '--rate-burst-frames': '1000000',
  '--rate-frames-per-sec': '1000000',
  '--rate-burst-bytes': '1GiB',
  '--rate-bytes-per-sec': '1GiB',
};

async function metrics(s: ChildServer): Promise<Map<string, number>> {
  assert.ok(s.metricsUrl, 'the server has a metrics listener');
  return scrapeMetrics(s.metricsUrl, 10_000);
}

/** Waits (bounded) until the server holds exactly `sockets` sockets and `sessions` sessions. */
async function waitForCounts(s: ChildServer, sockets: number, sessions: number): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let seen = new Map<string, number>();
  while (Date.now() < deadline) {
    seen = await metrics(s);
    if (seen.get('homecall_sockets') === sockets && seen.get('homecall_sessions') === sessions) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(
    `after the fuzz: ${seen.get('homecall_sockets')} sockets and ${seen.get('homecall_sessions')} sessions, expected ${sockets} and ${sessions}`,
  );
}

/** Close codes of the well-formed close frames a script sends (the server may echo those). */
function clientCloseCodes(script: FuzzScript): Set<number> {
  const codes = new Set<number>();
  for (const f of script.frames) {
    if (f.opcode !== Opcode.CLOSE || f.payload.length < 2 || f.declaredLength !== undefined) continue;
    const code = Buffer.from(f.payload).readUInt16BE(0);
    if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
      codes.add(code);
  }
  return codes;
}

/** What the server sent on one connection, checked against RFC 6455 and docs/protocol.md. */
function violations(received: Buffer, serverEnded: boolean, script: FuzzScript): string[] {
  const found: string[] = [];
  const { frames, rest } = decodeFrames(received);
  let closed = false;
  for (const f of frames) {
    if (closed) found.push('a frame after the close frame');
    if (f.rsv !== 0 || f.masked || !f.fin) found.push(`bad header: rsv ${f.rsv}, masked ${f.masked}, fin ${f.fin}`);
    if (f.opcode === Opcode.TEXT) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(f.payload);
      } catch {
        found.push('a text frame that is not UTF-8');
        continue;
      }
      const parsed = parseServerFrame(text);
      if (!parsed.ok) found.push(`not a frame of protocol.md: ${text.slice(0, 200)}`);
      else if (parsed.value.type === 'error' && parsed.value.message !== ERROR_MESSAGES[parsed.value.code])
        found.push(`an error frame with another message: ${text.slice(0, 200)}`);
    } else if (f.opcode === Opcode.CLOSE) {
      closed = true;
      if (f.payload.length < 2) {
        found.push(`a close frame of ${f.payload.length} bytes`);
        continue;
      }
      const code = f.payload.readUInt16BE(0);
      if (!SERVER_CLOSE_CODES.has(code) && !clientCloseCodes(script).has(code)) found.push(`close code ${code}`);
    } else if (f.opcode !== Opcode.PING && f.opcode !== Opcode.PONG) {
      found.push(`opcode ${f.opcode}`);
    }
  }
  if (serverEnded && rest.length > 0) found.push(`${rest.length} bytes of an unfinished frame`);
  if (serverEnded && !closed) found.push('the server ended the connection without a close frame');
  return found;
}

interface Totals {
  connections: number;
  frames: number;
  closeCodes: Map<number, number>;
}

/** Runs one script on its own connection; returns what went wrong (nothing, if all is well). */
async function runScript(s: ChildServer, ids: string[], script: FuzzScript, totals: Totals): Promise<string[]> {
  const conn = await RawWsConnection.open(s.port);
  if (script.join !== null)
    conn.write(encodeFrame(textFrame(JSON.stringify({ type: 'join', sessionId: ids[script.join] }))));
  conn.write(scriptBytes(script));
  // A clean end for a connection still open; swallowed as payload after a truncated frame.
  conn.write(encodeFrame(frame(Opcode.CLOSE, closePayload(1000))));
  const outcome = await conn.finish(CONNECTION_WAIT_MS);
  totals.connections += 1;
  totals.frames += script.frames.length + (script.join === null ? 0 : 1);
  for (const f of decodeFrames(outcome.received).frames) {
    if (f.opcode === Opcode.CLOSE && f.payload.length >= 2) {
      const code = f.payload.readUInt16BE(0);
      totals.closeCodes.set(code, (totals.closeCodes.get(code) ?? 0) + 1);
    }
  }
  const found = violations(outcome.received, outcome.serverEnded, script);
  if (outcome.error !== null) found.push(`socket error: ${outcome.error}`);
  return found;
}

/** Runs scripts `PARALLEL` at a time; fails with the first connection that broke an invariant. */
async function runBatch(s: ChildServer, ids: string[], scripts: FuzzScript[], totals: Totals): Promise<void> {
  const queue = [...scripts];
  const problems: string[] = [];
  const worker = async () => {
    for (let script = queue.shift(); script !== undefined; script = queue.shift()) {
      const found = await runScript(s, ids, script, totals).catch((error: unknown) => [
        `${error} (server exit code ${s.proc.exitCode}; stderr: ${s.stderr().slice(-1500)})`,
      ]);
      if (found.length > 0 && problems.length === 0)
        problems.push(`${found.join('; ')} (frames: ${JSON.stringify(script.frames.slice(-3)).slice(0, 600)})`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  assert.deepEqual(problems, [], 'a connection broke an invariant');
  assert.equal(s.proc.exitCode, null, `the server exited: ${s.stderr().slice(-2000)}`);
}

test('F9/M13: 100,000 random and mutated frames over 1,000 wss connections: no crash, no error logged, every reply a well-formed frame of protocol.md, close codes from the allowed set, another call unaffected, heap back to baseline', async (t) => {
  const started = performance.now();
  const phase = (name: string) => t.diagnostic(`${name} at ${Math.round(performance.now() - started)} ms`);
  const s = await spawnServer(FUZZ_FLAGS, { memoryProbe: true });
  phase('server up');
  const ids = Array.from({ length: 200 }, () => uuid());
  const script = fuzzScript(ids, { min: BODY_ITEMS, max: BODY_ITEMS + 10 });
  const totals: Totals = { connections: 0, frames: 0, closeCodes: new Map() };

  // Warm-up (the code paths compiled and the pools grown), then the baseline.
  await runBatch(s, ids, fc.sample(script, { numRuns: PARALLEL, seed: 1 }), totals);
  await waitForCounts(s, 0, 0);
  const baseline = await probeMemory(s);
  phase('baseline');

  // A call between two other participants, relaying all along.
  const { id, a, b } = await joinPair(s.wsUrl);
  let sent = 0;
  const relay = setInterval(() => a.send(offer(id, `during-fuzz-${sent++}`)), 100);
  const seed = Date.now() ^ (Math.random() * 2 ** 31);
  t.diagnostic(`fast-check seed ${seed}`);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: BATCH, maxLength: BATCH }), (scripts) =>
        runBatch(s, ids, scripts, totals),
      ),
      { numRuns: CONNECTIONS / BATCH, seed, endOnFailure: true },
    );
  } finally {
    clearInterval(relay);
  }
  phase('fuzz done');
  for (let i = 0; i < sent; i++) assert.deepEqual(await b.next('offer', 30_000), offer(id, `during-fuzz-${i}`));
  await expectQuiet(b, id);
  await expectQuiet(a, id);
  assert.deepEqual(a.pending(), [], 'the other call got nothing but its own frames');
  assert.ok(a.isOpen && b.isOpen, 'the other call is still up');

  assert.ok(totals.connections >= CONNECTIONS + PARALLEL, `${totals.connections} connections`);
  assert.ok(totals.frames >= MIN_FRAMES, `${totals.frames} frames`);
  t.diagnostic(
    `${totals.connections} connections, ${totals.frames} frames; close codes ${JSON.stringify([...totals.closeCodes].sort())}; ${sent} frames relayed meanwhile`,
  );

  a.close();
  b.close();
  await waitForCounts(s, 0, 0);
  const after = await probeMemory(s);
  phase('quiet');
  t.diagnostic(`heap after GC: ${baseline.heapUsed} before, ${after.heapUsed} after`);
  assert.ok(after.heapUsed <= baseline.heapUsed * 1.1, `heap ${baseline.heapUsed} -> ${after.heapUsed} (over +10%)`);

  assert.equal(s.proc.exitCode, null, 'the server is still running');
  const errors = s.logs.filter((l) => /"level":"(error|fatal)"|"internal-error"/.test(l));
  assert.deepEqual(errors.slice(0, 5), [], 'no error or fatal line in the log');
  assert.equal(
    s
      .stderr()
      .split('\n')
      .filter((l) => l && !l.startsWith('memory-probe '))
      .join('\n'),
    '',
    'nothing else on stderr',
  );
});

test('X6: no uncaught exception or unhandled rejection in this file', () => {
  assert.equal(faults.count, 0, String(faults.errors));
});
