/**
 * Reliability S12: a model-based test. fast-check drives random sequences of join, resume
 * (valid or stale), send, hangup, clean close, abrupt drop and clock advances against the real
 * SessionService and MemoryRegistry over in-memory links, and checks the session invariants
 * after every step.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { RecordingLink as Link } from '../testing/recording-link.js';
import { DEFAULT_LIMITS, readEnvelope } from '../../shared/protocol/index.js';
import { noopMetrics } from '../testing/noop-metrics.js';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { Connection } from './connection.js';
import { MemoryRegistry } from './memory-registry.js';
import { ResumeTokens } from './resume-token.js';
import { SessionService } from './session-service.js';

const SOCKETS = 4;
const GRACE = 1000;

interface Client {
  link: Link;
  conn: Connection;
  token: string | null;
  /** How many frames of `link` were already checked. */
  seen: number;
}

interface World {
  service: SessionService;
  registry: MemoryRegistry;
  clock: FakeClock;
  id: string;
  clients: (Client | null)[];
  /** Tokens survive a socket: a participant reconnects with the last one it got. */
  tokens: (string | null)[];
  nonce: number;
  /**
   * Nonce -> occupant (the server's participant identity) that sent it. A socket that joins
   * again without its token is a newcomer, so identity is the occupant, not the socket slot.
   */
  sentBy: Map<string, string>;
  delivered: Set<string>;
  lastFrom: Map<string, number>;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function feed(w: World, c: Client, frame: object): Promise<void> {
  const text = JSON.stringify(frame);
  const env = readEnvelope(text);
  assert.ok(env.ok);
  w.service.receive(c.conn, env.value, text.length);
  await c.conn.chain;
}

function open(w: World, i: number): Client {
  const link = new Link();
  const c: Client = { link, conn: w.service.open(link), token: w.tokens[i] ?? null, seen: 0 };
  w.clients[i] = c;
  return c;
}

async function drop(w: World, i: number, clean: boolean): Promise<void> {
  const c = w.clients[i];
  if (!c) return;
  w.clients[i] = null;
  c.link.close();
  w.service.closed(c.conn, clean);
  await c.conn.chain;
}

/** Checks what each socket received since the last check. */
function check(w: World): void {
  let joined = 0;
  for (const [i, c] of w.clients.entries()) {
    if (!c) continue;
    if (c.conn.state.kind === 'joined') joined += 1;
    const fresh = c.link.frames.slice(c.seen);
    c.seen = c.link.frames.length;
    for (const f of fresh) {
      assert.equal(f.sessionId === w.id || f.sessionId === null, true, 'no frame of another session');
      if (f.type === 'joined') w.tokens[i] = f.resume;
      if (f.type !== 'offer') continue;
      const [nonce, from, to] = [f.sdp, w.sentBy.get(f.sdp), c.conn.seat?.occupant];
      assert.notEqual(from, undefined, 'only frames that were sent are delivered');
      assert.notEqual(from, to, 'a participant never receives its own frame');
      assert.ok(!w.delivered.has(nonce), `delivered twice: ${nonce}`);
      w.delivered.add(nonce);
      const key = `${from}->${to}`;
      const n = Number(nonce.split(':')[1]);
      assert.ok((w.lastFrom.get(key) ?? -1) < n, `reordered: ${key}`);
      w.lastFrom.set(key, n);
    }
  }
  assert.ok(joined <= 2, `${joined} sockets joined one session`);
  const stats = w.registry.stats();
  assert.ok(stats.sessions <= 1);
  assert.ok(stats.queuedFrames <= DEFAULT_LIMITS.queueFrames * 2);
  if (stats.sessions === 0) assert.equal(w.service.timerCount, 0, 'no timers outlive their context');
}

type Cmd = fc.AsyncCommand<object, World>;
const cmd = (name: string, run: (w: World) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (_m, w) => {
    await run(w);
    await settle();
    check(w);
  },
  toString: () => name,
});

const socketIndex = fc.integer({ min: 0, max: SOCKETS - 1 });
const commands = [
  socketIndex.map((i) =>
    cmd(`join(${i})`, async (w) => {
      await drop(w, i, true);
      await feed(w, open(w, i), { type: 'join', sessionId: w.id });
    }),
  ),
  socketIndex.map((i) =>
    cmd(`resume(${i})`, async (w) => {
      await drop(w, i, false);
      const c = open(w, i);
      await feed(
        w,
        c,
        c.token ? { type: 'join', sessionId: w.id, resume: c.token } : { type: 'join', sessionId: w.id },
      );
    }),
  ),
  socketIndex.map((i) =>
    cmd(`send(${i})`, async (w) => {
      const c = w.clients[i];
      if (!c) return;
      const nonce = `${i}:${++w.nonce}`;
      if (c.conn.seat) w.sentBy.set(nonce, c.conn.seat.occupant);
      await feed(w, c, { type: 'offer', sessionId: w.id, sdp: nonce });
    }),
  ),
  socketIndex.map((i) =>
    cmd(`hangup(${i})`, async (w) => {
      const c = w.clients[i];
      if (c?.conn.state.kind !== 'joined') return;
      await feed(w, c, { type: 'hangup', sessionId: w.id });
      await settle();
      assert.equal(w.registry.stats().sessions, 0, 'rule 5: hangup drops the context');
      assert.equal(w.service.timerCount, 0);
    }),
  ),
  socketIndex.map((i) => cmd(`close(${i})`, (w) => drop(w, i, true))),
  socketIndex.map((i) => cmd(`drop(${i})`, (w) => drop(w, i, false))),
  fc.constantFrom(200, GRACE).map((ms) =>
    cmd(`advance(${ms})`, async (w) => {
      w.clock.advance(ms);
    }),
  ),
];

test('S12: random joins, resumes, sends, hangups, closes, drops and clock moves keep the session invariants', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 50 }), async (cmds) => {
      const clock = new FakeClock();
      const registry = new MemoryRegistry({ maxSessions: 10, clock });
      const service = new SessionService({
        registry,
        tokens: new ResumeTokens(randomBytes(32)),
        logger: pino({ level: 'silent' }),
        metrics: noopMetrics,
        observers: [],
        limits: { ...DEFAULT_LIMITS, graceMs: GRACE, aloneMs: 5000 },
        clock,
        iceServers: () => [],
        tagSession: () => 'tag',
      });
      const world: World = {
        service,
        registry,
        clock,
        id: randomUUID(),
        clients: new Array(SOCKETS).fill(null),
        tokens: new Array(SOCKETS).fill(null),
        nonce: 0,
        sentBy: new Map(),
        delivered: new Set(),
        lastFrom: new Map(),
      };
      await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
      // Everyone leaves: nothing may remain.
      for (let i = 0; i < SOCKETS; i++) await drop(world, i, true);
      clock.advance(GRACE * 2);
      await settle();
      assert.deepEqual(registry.stats().sessions, 0, 'S6: the context is dropped once nobody is attached or held');
      assert.equal(service.timerCount, 0);
    }),
    { numRuns: 1000 },
  );
});
