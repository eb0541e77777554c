/**
 * A model-based test across two nodes: fast-check drives random sequences of join, resume,
 * reconnect (a half-open socket replaced), send, hangup, clean close, abrupt drop and clock
 * advances against two SessionServices whose RedisRegistries share one real redis-server (each
 * socket on the node the command picks), and against one SessionService on the in-memory
 * registry, the oracle of docs/protocol.md's rules.
 * After every step each socket must have received the same frames (type, peer state, error
 * code, relayed payload) and be in the same state in both worlds. Time is one fake clock per
 * world (Redis scripts get it instead of TIME), so grace and alone timers fire on `advance`.
 * Once everyone left, Redis must hold no key of the session. A failure prints fast-check's seed
 * and path; replay with HOMECALL_MODEL_SEED=<seed> (and HOMECALL_MODEL_RUNS=<n> for a soak).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { RecordingLink as Link } from '../../src/server/testing/recording-link.js';
import { noopMetrics } from '../../src/server/testing/noop-metrics.js';
import type { Connection } from '../../src/server/sessions/connection.js';
import { MemoryRegistry } from '../../src/server/sessions/memory-registry.js';
import { RedisRegistry } from '../../src/server/sessions/redis-registry.js';
import { ResumeTokens } from '../../src/server/sessions/resume-token.js';
import { SessionService } from '../../src/server/sessions/session-service.js';
import type { SessionRegistry } from '../../src/server/sessions/session-registry.js';
import { DEFAULT_LIMITS, type ServerFrame, readEnvelope } from '../../src/shared/protocol/index.js';
import { FakeClock } from '../../src/shared/testing/fake-clock.js';
import { type RedisServer, leftoverKeys, startRedis, stopAllRedis } from '../helpers/redis.js';

const SOCKETS = 3;
const NODES = 2;
const GRACE = 1000;
const LIMITS = { ...DEFAULT_LIMITS, graceMs: GRACE, aloneMs: 5000, queueFrames: 3 };
/** How long one step may take to show its effects on the other node (a bound, not a measure). */
const STEP_DEADLINE_MS = 10_000;
const NUM_RUNS = Number(process.env.HOMECALL_MODEL_RUNS ?? 40);

let redis: RedisServer;
/** Clusters not closed yet: a run the time limit interrupted still holds its connections. */
const unclosed = new Set<World>();
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await Promise.allSettled([...unclosed].map((w) => w.close()));
  await stopAllRedis();
});

interface Client {
  link: Link;
  conn: Connection;
  service: SessionService;
}

/** One world: the cluster (two services on Redis) or the oracle (one service in memory). */
interface World {
  name: string;
  clock: FakeClock;
  services: SessionService[];
  clients: (Client | null)[];
  /** Tokens survive a socket: a participant reconnects with the last one it got. */
  tokens: (string | null)[];
  /** Every frame each socket slot received, across its sockets, normalised. */
  log: string[][];
  seen: number[];
  /** Registry steps in flight (the cluster's services). */
  busy: { steps: number };
  /** Sockets a resume from another socket replaced while still open: the server must close them. */
  replaced: Link[];
  /** The registry's view of the session: which places are free, attached or held. */
  peek(id: string): Promise<string>;
  /** Keys that should not outlive the session (none for the oracle). */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

const silent = pino({ level: 'silent' });
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A registry that counts its steps in flight: a step may be quiet (a grace timer's expire that
 * the oracle shows no effect of yet), so the cluster is compared only once it has none.
 */
function counted(inner: SessionRegistry, busy: { steps: number }): SessionRegistry {
  const track = <T>(p: Promise<T>): Promise<T> => {
    busy.steps += 1;
    return p.finally(() => {
      busy.steps -= 1;
    });
  };
  return {
    join: (...a) => track(inner.join(...a)),
    resume: (...a) => track(inner.resume(...a)),
    relay: (...a) => {
      const r = inner.relay(...a);
      return r instanceof Promise ? track(r) : r;
    },
    leave: (...a) => track(inner.leave(...a)),
    expire: (...a) => track(inner.expire(...a)),
    end: (...a) => track(inner.end(...a)),
    peek: (...a) => track(inner.peek(...a)),
    stats: () => inner.stats(),
    subscribe: (listener) => inner.subscribe?.(listener),
  };
}

function service(registry: SessionRegistry, clock: FakeClock, tokens: ResumeTokens): SessionService {
  return new SessionService({
    registry,
    tokens,
    logger: silent,
    metrics: noopMetrics,
    observers: [],
    limits: LIMITS,
    clock,
    iceServers: () => [],
    tagSession: () => 'tag',
  });
}

function oracle(tokens: ResumeTokens): World {
  const clock = new FakeClock();
  const registry = new MemoryRegistry({
    maxSessions: 10,
    tombstoneMs: LIMITS.sessionLifetimeMs,
    queue: { frames: LIMITS.queueFrames, bytes: LIMITS.queueBytes },
    clock,
  });
  return world('memory', clock, [service(registry, clock, tokens)], registry, async () => {});
}

async function cluster(tokens: ResumeTokens): Promise<World> {
  const clock = new FakeClock();
  const prefix = `m${randomBytes(4).toString('hex')}:`;
  const registries = Array.from(
    { length: NODES },
    () =>
      new RedisRegistry({
        url: redis.url,
        prefix,
        maxSessions: 10,
        queue: { frames: LIMITS.queueFrames, bytes: LIMITS.queueBytes },
        graceMs: GRACE,
        sessionLifetimeMs: LIMITS.sessionLifetimeMs,
        // No node is ever declared dead here, and the sweeper leaves holds to their node's timer.
        timings: { heartbeatMs: 500, nodeTimeoutMs: 1e9, sweepMs: 500, sweepSlackMs: 1e9 },
        clock,
        logger: silent,
        fakeNow: () => clock.wallNow(),
      }),
  );
  for (const r of registries) await r.start();
  const w0 = { busy: { steps: 0 } };
  const services = registries.map((r) => service(counted(r, w0.busy), clock, tokens));
  const w: World = world(
    'redis',
    clock,
    services,
    registries[0] as RedisRegistry,
    async () => {
      unclosed.delete(w);
      for (const s of services) s.stop();
      await Promise.all(registries.map((r) => r.close()));
    },
    () => leftoverKeys(redis, prefix),
  );
  w.busy = w0.busy;
  unclosed.add(w);
  return w;
}

function world(
  name: string,
  clock: FakeClock,
  services: SessionService[],
  registry: SessionRegistry,
  close: () => Promise<void>,
  leftovers: () => Promise<string[]> = async () => [],
): World {
  return {
    leftovers,
    peek: async (id) => {
      const view = await registry.peek(id);
      return view === null ? 'no context' : `places ${view.places.join('/')}`;
    },
    name,
    clock,
    services,
    clients: new Array(SOCKETS).fill(null),
    tokens: new Array(SOCKETS).fill(null),
    log: Array.from({ length: SOCKETS }, () => []),
    seen: new Array(SOCKETS).fill(0),
    replaced: [],
    busy: { steps: 0 },
    close,
  };
}

/** What both worlds must agree on: tokens, ids and ICE servers differ by nature. */
function normalise(f: ServerFrame): string {
  switch (f.type) {
    case 'joined':
      return `joined peer=${f.peer}`;
    case 'peer':
      return `peer ${f.state}`;
    case 'error':
      return `error ${f.code}`;
    case 'offer':
      return `offer ${f.sdp}`;
    case 'hangup':
      return `hangup ${f.reason ?? ''}`;
    default:
      return f.type;
  }
}

/** Moves what each slot's socket received into its log; remembers the newest token. */
function collect(w: World): void {
  for (const [i, c] of w.clients.entries()) {
    if (!c) continue;
    const fresh = c.link.frames.slice(w.seen[i]);
    w.seen[i] = c.link.frames.length;
    for (const f of fresh) {
      if (f.type === 'joined') w.tokens[i] = f.resume;
      w.log[i]?.push(normalise(f));
    }
  }
}

async function snapshot(w: World, id: string): Promise<string[]> {
  const view = await w.peek(id);
  collect(w);
  const sockets = w.log.map((frames, i) => {
    const c = w.clients[i];
    const state = c === null || c === undefined ? 'none' : `${c.conn.state.kind}${c.link.closed ? '/closed' : ''}`;
    return `${state}: ${frames.join(', ')}`;
  });
  return [view, ...sockets, `replaced sockets closed: ${w.replaced.map((l) => l.closed).join(',')}`];
}

async function feed(c: Client, frame: object): Promise<void> {
  const text = JSON.stringify(frame);
  const env = readEnvelope(text);
  assert.ok(env.ok);
  c.service.receive(c.conn, env.value, text.length);
  await c.conn.chain;
}

function open(w: World, i: number, node: number): Client {
  const link = new Link();
  const svc = w.services[node % w.services.length] as SessionService;
  const c: Client = { link, conn: svc.open(link), service: svc };
  collect(w);
  w.clients[i] = c;
  w.seen[i] = 0;
  return c;
}

async function drop(w: World, i: number, clean: boolean): Promise<void> {
  const c = w.clients[i];
  if (!c) return;
  collect(w);
  w.clients[i] = null;
  c.link.close();
  c.service.closed(c.conn, clean);
  await c.conn.chain;
}

interface Pair {
  cluster: World;
  oracle: World;
  id: string;
}

type Step = (w: World, id: string) => Promise<void>;

/** Runs one step in both worlds, then waits (bounded) until the cluster shows what the oracle shows. */
async function both(pair: Pair, step: Step): Promise<void> {
  await step(pair.oracle, pair.id);
  await settle();
  await step(pair.cluster, pair.id);
  const expected = await snapshot(pair.oracle, pair.id);
  const deadline = Date.now() + STEP_DEADLINE_MS;
  const quiet = () => pair.cluster.busy.steps === 0;
  let actual = await snapshot(pair.cluster, pair.id);
  while ((!quiet() || JSON.stringify(actual) !== JSON.stringify(expected)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    actual = await snapshot(pair.cluster, pair.id);
  }
  assert.deepEqual(actual, expected, 'two nodes on Redis behave as the in-memory registry');
}

type Cmd = fc.AsyncCommand<object, Pair>;
const cmd = (name: string, step: Step): Cmd => ({
  check: () => true,
  run: (_m, pair) => both(pair, step),
  toString: () => name,
});

let nonce = 0;
/** The commands, each a step both worlds take. */
const steps = {
  join: (i: number, n: number) =>
    cmd(`join(${i}@${n})`, async (w, id) => {
      await drop(w, i, true);
      await feed(open(w, i, n), { type: 'join', sessionId: id });
    }),
  resume: (i: number, n: number) =>
    cmd(`resume(${i}@${n})`, async (w, id) => {
      await drop(w, i, false);
      const token = w.tokens[i];
      const c = open(w, i, n);
      await feed(c, token ? { type: 'join', sessionId: id, resume: token } : { type: 'join', sessionId: id });
    }),
  reconnect: (i: number, n: number) =>
    cmd(`reconnect(${i}@${n})`, async (w, id) => {
      // A half-open socket: the participant resumes on a new one while the old one is still open.
      const old = w.clients[i];
      const token = w.tokens[i];
      if (!old || !token) return;
      w.replaced.push(old.link);
      await feed(open(w, i, n), { type: 'join', sessionId: id, resume: token });
    }),
  send: (i: number) => {
    const sdp = `n${++nonce}`;
    return cmd(`send(${i})`, async (w, id) => {
      const c = w.clients[i];
      if (c) await feed(c, { type: 'offer', sessionId: id, sdp });
    });
  },
  hangup: (i: number) =>
    cmd(`hangup(${i})`, async (w, id) => {
      const c = w.clients[i];
      if (c) await feed(c, { type: 'hangup', sessionId: id });
    }),
  close: (i: number) => cmd(`close(${i})`, (w) => drop(w, i, true)),
  drop: (i: number) => cmd(`drop(${i})`, (w) => drop(w, i, false)),
  advance: (ms: number) =>
    cmd(`advance(${ms})`, async (w) => {
      w.clock.advance(ms);
    }),
};

const slot = fc.integer({ min: 0, max: SOCKETS - 1 });
const node = fc.integer({ min: 0, max: NODES - 1 });
const placed = (make: (i: number, n: number) => Cmd) => fc.tuple(slot, node).map(([i, n]) => make(i, n));
const join = placed(steps.join);
const resume = placed(steps.resume);
const send = slot.map(steps.send);
const abrupt = slot.map(steps.drop);
const advance = fc.constantFrom(200, GRACE, LIMITS.aloneMs).map(steps.advance);
/** Weighted by repetition: calls mostly relay and reconnect; a hangup ends the whole run's session. */
const commands = [
  join,
  join,
  resume,
  resume,
  placed(steps.reconnect),
  send,
  send,
  send,
  abrupt,
  abrupt,
  slot.map(steps.close),
  slot.map(steps.hangup),
  advance,
  advance,
];

/** One sequence in both worlds, then everyone leaves: the same end, and no key left in Redis. */
async function runSequence(cmds: Iterable<Cmd>): Promise<void> {
  const tokens = new ResumeTokens(randomBytes(32));
  const pair: Pair = { cluster: await cluster(tokens), oracle: oracle(tokens), id: randomUUID() };
  try {
    await fc.asyncModelRun(() => ({ model: {}, real: pair }), cmds);
    // Everyone leaves and every grace runs out: both worlds end the same way, with no context.
    for (let i = 0; i < SOCKETS; i++) await both(pair, (w) => drop(w, i, true));
    await both(pair, async (w) => w.clock.advance(GRACE));
    assert.equal(await pair.oracle.peek(pair.id), 'no context');
    // No key left behind: only the epoch, the node list and tombstones of ended contexts, all TTL'd.
    assert.deepEqual(await pair.cluster.leftovers(), [], 'keys of an ended session left in Redis');
  } finally {
    await pair.cluster.close();
  }
}

test('two nodes sharing one Redis follow the in-memory registry step by step', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'large' }), runSequence),
    // Bounded: a fixed number of runs, and no more than two minutes of them on a slow machine.
    {
      numRuns: NUM_RUNS,
      interruptAfterTimeLimit: 120_000,
      markInterruptAsFailure: false,
      includeErrorInReport: true,
      ...(process.env.HOMECALL_MODEL_SEED ? { seed: Number(process.env.HOMECALL_MODEL_SEED) } : {}),
    },
  );
});

// Sequences the random runs found (each failed before its fix), kept as fixed regressions.
const { join: j, resume: r, reconnect: rc, send: s, drop: d, advance: a, hangup: h } = steps;
const regressions: [string, Cmd[]][] = [
  [
    // A later sender on the same place (a newcomer after a grace ran out) restarts its sequence
    // numbers: its cross-node frames are not taken for duplicates of the earlier occupant's.
    'a new occupant of a place is not deduplicated against the old one',
    [j(0, 0), j(1, 1), s(0), s(0), s(0), d(0), a(GRACE), j(2, 0), s(2)],
  ],
  [
    // A half-open socket replaced from another node leaves the old node's set in Redis.
    'a place taken over from another node leaves no member behind',
    [j(0, 1), rc(0, 0), h(0)],
  ],
  [
    // The node a participant left keeps no alone timeout that fires before the real one.
    'the alone timeout runs where the participant came back',
    [j(2, 0), rc(2, 1), r(2, 0), j(0, 0), d(2), a(LIMITS.aloneMs), a(200)],
  ],
  [
    // The grace timer of the node a participant left does not free its newer hold early.
    'a stale grace timer does not free a newer hold',
    [j(0, 0), j(1, 1), d(1), a(200), r(1, 0), d(1), a(200), a(200), a(200), a(200), a(200)],
  ],
];
for (const [name, cmds] of regressions) test(name, () => runSequence(cmds));
