/**
 * The load generator: a separate process the orchestrator drives over IPC. It opens real wss
 * sockets from loopback source addresses 127.0.0.2..127.0.0.33 (one address has only ~28k
 * ephemeral ports) and speaks the protocol with the shared builders. Every loop is bounded in
 * count and time. Commands (one reply per command, `{ id, result }` or `{ id, error }`):
 *   init      { url, ca, dialect, proxyHeaders } where to connect, the CA to trust; see below
 *   idle      { n, concurrency }                open n more waiting participants, each alone
 *   callsStart{ concurrency, callTimeoutMs }    start scripted-call loops
 *   callsMark {}                                counters so far
 *   callsStop {}                                stop the loops, wait for calls in flight
 *   latency   { idlePairs, activePairs, framesPerSec, warmupMs, durationMs }
 *   transports {}                               sockets opened so far per transport { ws, wss }
 *
 * An `http://` URL means plain ws (a server behind a TLS-terminating proxy). `proxyHeaders`
 * adds what nginx passes on (deploy/nginx/homecall.conf): Host, the browser's Origin,
 * X-Forwarded-Proto https and X-Forwarded-For. `dialect: 'peerjs'` speaks peerjs-server's own
 * protocol instead of HomeCall's (bench/lib/peerjs-frames.ts), with the same scripts: a waiting
 * participant is one socket that got OPEN and sends HEARTBEAT every 5 s; a call is two peers,
 * offer, answer, 8 candidates each way, LEAVE, both sockets closed (by the clients: peerjs-server
 * never closes them); a latency pair is two peers trading CANDIDATE frames.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionOptions, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { type ClientOptions, WebSocket } from 'ws';
import { answerFrame, candidateFrame, hangupFrame, joinFrame, offerFrame } from '../src/shared/protocol/frames.js';
import { makeCandidate, makeSdp } from './lib/frames.js';
import {
  PEERJS_HEARTBEAT_MS,
  peerjsAnswer,
  peerjsCandidate,
  peerjsHeartbeat,
  peerjsLeave,
  peerjsOffer,
  peerjsPath,
} from './lib/peerjs-frames.js';

const SOURCE_ADDRESSES = 32;
const CONNECT_TIMEOUT_MS = 20_000;
const FRAME_TIMEOUT_MS = 15_000;

let url = '';
let plain = false;
let dialect: 'homecall' | 'peerjs' = 'homecall';
let proxyHeaders = false;
/** The public name the proxy serves (Host and Origin as nginx passes them on). */
const PROXY_HOST = 'call.example.org';
// One TLS context for every socket: passing `ca` per connection would build (and parse the
// CA into) a fresh context per handshake, which would make the generator, not the server,
// the bottleneck.
let secureContext: SecureContext | null = null;
/**
 * TLS session resumption, on by default: a browser opens /signal right after loading the page
 * from the same origin, so its wss handshake resumes the page's TLS session. `--full-tls` on
 * the orchestrator turns it off (every socket then pays a full handshake on both sides).
 */
let resumeTls = true;
let tlsSession: Buffer | undefined;

function connectTls(options: ConnectionOptions & { path?: string }) {
  options.path = undefined;
  options.servername = '';
  const socket = tlsConnect({
    ...options,
    secureContext: secureContext ?? undefined,
    session: resumeTls ? tlsSession : undefined,
  });
  if (resumeTls) {
    socket.once('session', (session: Buffer) => {
      tlsSession = session;
    });
  }
  return socket;
}
let nextSource = 0;
const counters = { errors: new Map<string, number>() };
/** Sockets opened per transport, as the socket under each WebSocket really was (ws or wss). */
const transports = new Map<string, number>();
const countError = (what: string) => counters.errors.set(what, (counters.errors.get(what) ?? 0) + 1);
const errorsObject = () => Object.fromEntries(counters.errors);

interface Frame {
  type: string;
  [key: string]: unknown;
}

/** A client socket with a frame inbox, so a script can `await next()` in order. */
class Conn {
  readonly frames: Frame[] = [];
  private waiter: ((f: Frame | null) => void) | null = null;
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  onFrame: ((f: Frame, raw: string) => void) | null = null;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        this.wake(null);
        resolve(code);
      });
    });
    ws.on('message', (data) => {
      const raw = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(raw) as Frame;
      } catch {
        countError('non-json frame');
        return;
      }
      if (this.onFrame !== null) {
        this.onFrame(frame, raw);
        return;
      }
      if (this.waiter !== null) this.wake(frame);
      else this.frames.push(frame);
    });
  }

  private wake(f: Frame | null) {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    w(f);
  }

  /** Opens a socket; `peerId` names the peer in the peerjs dialect (ignored otherwise). */
  static open(peerId = ''): Promise<Conn> {
    const localAddress = `127.0.0.${2 + (nextSource++ % SOURCE_ADDRESSES)}`;
    // ws's types declare a net-only `createConnection`; it is handed the TLS options.
    const options = {
      ...(plain ? {} : { createConnection: connectTls }),
      localAddress,
      perMessageDeflate: false,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      ...(proxyHeaders
        ? {
            headers: {
              Host: PROXY_HOST,
              Origin: `https://${PROXY_HOST}`,
              'X-Forwarded-Proto': 'https',
              'X-Forwarded-For': localAddress,
            },
          }
        : {}),
    } as ClientOptions;
    const path = dialect === 'peerjs' ? peerjsPath(peerId, randomUUID()) : 'signal';
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, options);
    const conn = new Conn(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        // ws keeps the underlying socket in `_socket`; a TLSSocket has `encrypted` set.
        const raw = (ws as unknown as { _socket?: { encrypted?: boolean } })._socket;
        const transport = raw?.encrypted === true ? 'wss' : 'ws';
        transports.set(transport, (transports.get(transport) ?? 0) + 1);
        if (dialect === 'peerjs') {
          const beat = setInterval(() => conn.send(peerjsHeartbeat()), PEERJS_HEARTBEAT_MS);
          ws.once('close', () => clearInterval(beat));
        }
        resolve(conn);
      });
      ws.on('error', (e) => {
        countError(`socket: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
        reject(e);
      });
      ws.once('unexpected-response', (_req, res) => {
        countError(`upgrade refused: HTTP ${res.statusCode}`);
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
    });
  }

  send(frame: object) {
    this.ws.send(JSON.stringify(frame));
  }

  /** The next frame, or null when the socket closed or nothing came in time. */
  next(timeoutMs = FRAME_TIMEOUT_MS): Promise<Frame | null> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closeCode !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }
}

class Failure extends Error {}

async function expect(conn: Conn, type: string, check?: (f: Frame) => boolean): Promise<Frame> {
  const f = await conn.next();
  if (f === null)
    throw new Failure(`expected ${type}, got ${conn.closeCode === null ? 'timeout' : `close ${conn.closeCode}`}`);
  if (f.type !== type || (check !== undefined && !check(f))) {
    throw new Failure(`expected ${type}, got ${f.type}${f.type === 'error' ? ` ${String(f.code)}` : ''}`);
  }
  return f;
}

// ---- waiting participants --------------------------------------------------------------

const idleSockets: Conn[] = [];

async function openWaiting(): Promise<Conn> {
  if (dialect === 'peerjs') {
    const conn = await Conn.open(randomUUID());
    await expect(conn, 'OPEN');
    return conn;
  }
  const conn = await Conn.open();
  const id = randomUUID();
  conn.send(joinFrame(id));
  await expect(conn, 'joined', (f) => f.peer === false);
  return conn;
}

async function pool<T>(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<{ ok: T[]; failed: number }> {
  let next = 0;
  const ok: T[] = [];
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        ok.push(await task(i));
      } catch (e) {
        failed++;
        if (e instanceof Failure) countError(e.message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { ok, failed };
}

async function idle(n: number, concurrency: number) {
  const started = performance.now();
  const { ok, failed } = await pool(n, concurrency, () => openWaiting());
  for (const c of ok) {
    // A waiting participant only ever expects pings, which ws answers by itself.
    c.onFrame = (f) => countError(`idle socket got ${f.type}`);
    idleSockets.push(c);
  }
  const stillOpen = idleSockets.filter((c) => c.closeCode === null).length;
  return {
    opened: ok.length,
    failed,
    total: idleSockets.length,
    stillOpen,
    ms: Math.round(performance.now() - started),
    errors: errorsObject(),
  };
}

// ---- scripted calls ---------------------------------------------------------------------

const OFFER_SDP = makeSdp('offer', 3072);
const ANSWER_SDP = makeSdp('answer', 3072);
const CANDIDATES = 8;

/** One full call: join, join, offer, answer, 8 candidates each way, hangup, close. */
async function scriptedCall(): Promise<void> {
  if (dialect === 'peerjs') return scriptedPeerjsCall();
  const id = randomUUID();
  let a: Conn | null = null;
  let b: Conn | null = null;
  try {
    a = await Conn.open();
    a.send(joinFrame(id));
    await expect(a, 'joined', (f) => f.peer === false);
    b = await Conn.open();
    b.send(joinFrame(id));
    await expect(b, 'joined', (f) => f.peer === true);
    const A = a;
    const B = b;
    const sideA = async () => {
      await expect(A, 'peer', (f) => f.state === 'joined');
      A.send(offerFrame(id, OFFER_SDP));
      for (let i = 0; i < CANDIDATES; i++) {
        A.send(candidateFrame(id, { candidate: makeCandidate(i, 'a'), sdpMid: '0', sdpMLineIndex: 0 }));
      }
      await expect(A, 'answer', (f) => f.sdp === ANSWER_SDP);
      for (let i = 0; i < CANDIDATES; i++) await expect(A, 'candidate');
      A.send(hangupFrame(id, 'bench'));
      await expect(A, 'hangup');
    };
    const sideB = async () => {
      await expect(B, 'offer', (f) => f.sdp === OFFER_SDP);
      B.send(answerFrame(id, ANSWER_SDP));
      for (let i = 0; i < CANDIDATES; i++) {
        B.send(candidateFrame(id, { candidate: makeCandidate(i, 'b'), sdpMid: '0', sdpMLineIndex: 0 }));
      }
      for (let i = 0; i < CANDIDATES; i++) await expect(B, 'candidate');
      await expect(B, 'hangup');
    };
    await Promise.all([sideA(), sideB()]);
    // The server closes both sockets (rule 5); a socket left open is a failure.
    const closed = await Promise.race([Promise.all([a.closed, b.closed]), sleep(FRAME_TIMEOUT_MS).then(() => null)]);
    if (closed === null) throw new Failure('sockets not closed by the server after hangup');
    if (closed[0] !== 1000 || closed[1] !== 1000)
      throw new Failure(`close codes ${closed[0]}/${closed[1]} after hangup`);
  } finally {
    if (a !== null && a.closeCode === null) a.ws.terminate();
    if (b !== null && b.closeCode === null) b.ws.terminate();
  }
}

/** The same call in peerjs's protocol: two peers, OPEN, OPEN, offer, answer, candidates, LEAVE, close. */
async function scriptedPeerjsCall(): Promise<void> {
  const idA = randomUUID();
  const idB = randomUUID();
  const cid = `mc_${idA.slice(0, 12)}`;
  let a: Conn | null = null;
  let b: Conn | null = null;
  try {
    a = await Conn.open(idA);
    await expect(a, 'OPEN');
    b = await Conn.open(idB);
    await expect(b, 'OPEN');
    const A = a;
    const B = b;
    const sdpOf = (f: Frame) => (f.payload as { sdp?: { sdp?: unknown } } | undefined)?.sdp?.sdp;
    const sideA = async () => {
      A.send(peerjsOffer(idB, OFFER_SDP, cid));
      for (let i = 0; i < CANDIDATES; i++) A.send(peerjsCandidate(idB, makeCandidate(i, 'a'), cid));
      await expect(A, 'ANSWER', (f) => sdpOf(f) === ANSWER_SDP && f.src === idB);
      for (let i = 0; i < CANDIDATES; i++) await expect(A, 'CANDIDATE');
      A.send(peerjsLeave(idB));
      A.ws.close(1000);
    };
    const sideB = async () => {
      await expect(B, 'OFFER', (f) => sdpOf(f) === OFFER_SDP && f.src === idA);
      B.send(peerjsAnswer(idA, ANSWER_SDP, cid));
      for (let i = 0; i < CANDIDATES; i++) B.send(peerjsCandidate(idA, makeCandidate(i, 'b'), cid));
      for (let i = 0; i < CANDIDATES; i++) await expect(B, 'CANDIDATE');
      await expect(B, 'LEAVE', (f) => f.src === idA);
      B.ws.close(1000);
    };
    await Promise.all([sideA(), sideB()]);
    const closed = await Promise.race([Promise.all([a.closed, b.closed]), sleep(FRAME_TIMEOUT_MS).then(() => null)]);
    if (closed === null) throw new Failure('sockets not closed after LEAVE');
    if (closed[0] !== 1000 || closed[1] !== 1000)
      throw new Failure(`close codes ${closed[0]}/${closed[1]} after LEAVE`);
  } finally {
    if (a !== null && a.closeCode === null) a.ws.terminate();
    if (b !== null && b.closeCode === null) b.ws.terminate();
  }
}

const calls = { running: false, completed: 0, failed: 0, loops: [] as Promise<void>[], latenciesMs: [] as number[] };

function callsStart(concurrency: number) {
  calls.running = true;
  calls.completed = 0;
  calls.failed = 0;
  calls.latenciesMs = [];
  const loop = async () => {
    while (calls.running) {
      const t0 = performance.now();
      try {
        await scriptedCall();
        calls.completed++;
        if (calls.latenciesMs.length < 200_000) calls.latenciesMs.push(performance.now() - t0);
      } catch (e) {
        calls.failed++;
        countError(e instanceof Failure ? e.message : `call: ${(e as Error).message}`);
      }
    }
  };
  calls.loops = Array.from({ length: concurrency }, loop);
  return { started: concurrency };
}

const callsMark = () => ({
  completed: calls.completed,
  failed: calls.failed,
  genCpuS: cpuSeconds(),
  at: performance.now(),
});

async function callsStop() {
  calls.running = false;
  await Promise.race([Promise.all(calls.loops), sleep(2 * FRAME_TIMEOUT_MS + CONNECT_TIMEOUT_MS)]);
  const sorted = [...calls.latenciesMs].sort((x, y) => x - y);
  const q = (p: number) =>
    sorted.length === 0
      ? null
      : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
  return { ...callsMark(), callMsP50: q(0.5), callMsP99: q(0.99), errors: errorsObject() };
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// ---- relay latency ----------------------------------------------------------------------

/** Two connected sockets and the candidate frame each side sends to the other. */
interface Pair {
  a: Conn;
  b: Conn;
  frame: (from: 'a' | 'b', candidate: string) => object;
}

async function openPair(): Promise<Pair> {
  if (dialect === 'peerjs') {
    const idA = randomUUID();
    const idB = randomUUID();
    const cid = `mc_${idA.slice(0, 12)}`;
    const a = await Conn.open(idA);
    await expect(a, 'OPEN');
    const b = await Conn.open(idB);
    await expect(b, 'OPEN');
    return { a, b, frame: (from, c) => peerjsCandidate(from === 'a' ? idB : idA, c, cid) };
  }
  const id = randomUUID();
  const a = await Conn.open();
  a.send(joinFrame(id));
  await expect(a, 'joined', (f) => f.peer === false);
  const b = await Conn.open();
  b.send(joinFrame(id));
  await expect(b, 'joined', (f) => f.peer === true);
  await expect(a, 'peer', (f) => f.state === 'joined');
  return { a, b, frame: (_from, candidate) => candidateFrame(id, { candidate, sdpMid: '0', sdpMLineIndex: 0 }) };
}

/** The candidate string a latency frame carries, or null for any other frame. */
function candidateText(f: Frame): string | null {
  if (dialect === 'peerjs') {
    if (f.type !== 'CANDIDATE') return null;
    return String((f.payload as { candidate: { candidate: string } }).candidate.candidate);
  }
  if (f.type !== 'candidate') return null;
  return String((f.candidate as { candidate: string }).candidate);
}

const genLag = monitorEventLoopDelay({ resolution: 10 });
genLag.enable();

const nowUs = () => Math.round(performance.now() * 1000);

async function latency(
  idlePairs: number,
  activePairs: number,
  framesPerSec: number,
  warmupMs: number,
  durationMs: number,
) {
  const bg = await pool(idlePairs, 100, () => openPair());
  const act = await pool(activePairs, 50, () => openPair());
  for (const { a, b } of bg.ok) {
    a.onFrame = (f) => countError(`idle pair got ${f.type}`);
    b.onFrame = (f) => countError(`idle pair got ${f.type}`);
  }
  // One slot per direction of each active pair; slot k sends seq 0,1,2,... stamped with the
  // generator's clock, and its receiver checks that every seq arrives once and in order.
  interface Slot {
    from: Conn;
    frame: (candidate: string) => object;
    sent: number;
    received: number;
    outOfOrder: number;
    expect: number;
  }
  const slots: Slot[] = [];
  const samples: number[] = [];
  let measuring = false;
  let all = 0;
  for (const pair of act.ok) {
    for (const [from, to, side] of [
      [pair.a, pair.b, 'a'],
      [pair.b, pair.a, 'b'],
    ] as const) {
      const frame = (candidate: string) => pair.frame(side, candidate);
      const slot: Slot = { from, frame, sent: 0, received: 0, outOfOrder: 0, expect: 0 };
      slots.push(slot);
      to.onFrame = (f) => {
        const text = candidateText(f);
        if (text === null) {
          countError(`latency receiver got ${f.type}`);
          return;
        }
        const parts = text.split(' ');
        const seq = Number(parts[parts.length - 2]);
        const stamp = Number(parts[parts.length - 1]);
        slot.received++;
        if (seq !== slot.expect) slot.outOfOrder++;
        slot.expect = seq + 1;
        all++;
        if (measuring && samples.length < 2_000_000) samples.push(nowUs() - stamp);
      };
    }
  }
  const start = performance.now();
  const end = start + warmupMs + durationMs;
  let sent = 0;
  let slotIndex = 0;
  const base = makeCandidate(0, 'a');
  // Paced by elapsed time, not by timer count, so timer jitter does not change the rate.
  while (slots.length > 0 && performance.now() < end) {
    const elapsed = performance.now() - start;
    if (!measuring && elapsed >= warmupMs) genLag.reset();
    measuring = elapsed >= warmupMs;
    const due = Math.floor((elapsed / 1000) * framesPerSec);
    while (sent < due) {
      const slot = slots[slotIndex++ % slots.length]!;
      slot.from.send(slot.frame(`${base} bench ${slot.sent++} ${nowUs()}`));
      sent++;
    }
    await sleep(2);
  }
  measuring = false;
  // A stall of the generator itself delays receipt of every frame in flight: reported so a
  // machine-wide stall is not read as the server's latency.
  const generatorLag = {
    p99Ms: Math.round(genLag.percentile(99) / 1e4) / 100,
    maxMs: Math.round(genLag.max / 1e4) / 100,
  };
  // Let the last frames land before counting losses.
  const drainUntil = performance.now() + 3000;
  while (all < sent && performance.now() < drainUntil) await sleep(20);
  const lost = slots.reduce((s, x) => s + (x.sent - x.received), 0);
  const outOfOrder = slots.reduce((s, x) => s + x.outOfOrder, 0);
  samples.sort((x, y) => x - y);
  const q = (p: number) =>
    samples.length === 0 ? null : samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  const closedEarly = [...bg.ok, ...act.ok].flatMap(({ a, b }) => [a, b]).filter((c) => c.closeCode !== null).length;
  return {
    idlePairs: bg.ok.length,
    activePairs: act.ok.length,
    pairFailures: bg.failed + act.failed,
    sent,
    received: all,
    lost,
    outOfOrder,
    closedEarly,
    generatorLag,
    samples: samples.length,
    p50Us: q(0.5),
    p99Us: q(0.99),
    maxUs: samples.length === 0 ? null : samples[samples.length - 1],
    errors: errorsObject(),
  };
}

// ---- IPC ----------------------------------------------------------------------------------

type Command = { id: number; cmd: string; [key: string]: unknown };

async function handle(m: Command): Promise<unknown> {
  switch (m.cmd) {
    case 'init':
      url = String(m.url);
      plain = url.startsWith('http:');
      dialect = m.dialect === 'peerjs' ? 'peerjs' : 'homecall';
      proxyHeaders = m.proxyHeaders === true;
      secureContext = createSecureContext({ ca: String(m.ca) });
      resumeTls = m.resumeTls !== false;
      return { pid: process.pid };
    case 'transports':
      return Object.fromEntries(transports);
    case 'idle':
      return idle(Number(m.n), Number(m.concurrency ?? 200));
    case 'callsStart':
      return callsStart(Number(m.concurrency));
    case 'callsMark':
      return callsMark();
    case 'callsStop':
      return callsStop();
    case 'latency':
      return latency(
        Number(m.idlePairs),
        Number(m.activePairs),
        Number(m.framesPerSec),
        Number(m.warmupMs),
        Number(m.durationMs),
      );
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
}

process.on('message', (m: Command) => {
  handle(m).then(
    (result) => process.send?.({ id: m.id, result }),
    (e: Error) => process.send?.({ id: m.id, error: e.stack ?? String(e) }),
  );
});
// The orchestrator going away ends the generator (and its sockets) with it.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
