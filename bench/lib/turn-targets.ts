/**
 * The two TURN servers the benchmark compares, both on loopback: HomeCall's built-in server
 * (credentials from a real `/signal` join, two participants per session) and Debian's coturn
 * (TURN REST credentials from its static secret). Each reports the CPU its process has used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { joinFrame } from '../../src/shared/protocol/index.js';
import { readCpuSeconds, spawnNode, stopChild, waitForListening } from './proc.js';
import { HOMECALL_LOAD_FLAGS, repoDir, serverEntry } from './targets.js';
import type { TurnCredential, TurnTarget } from './turn-load.js';

export interface RunningTurn extends TurnTarget {
  /** CPU seconds the server process has used so far. */
  cpu(): number;
  stop(): Promise<void>;
}

const JOIN_TIMEOUT_MS = 10_000;

/** Limits raised so the benchmark measures the relay, not the quotas that protect it. */
const BUILTIN_BENCH_FLAGS = [
  '--turn-allocations-total',
  '100000',
  '--turn-answers-per-sec',
  '1000000',
  '--turn-bandwidth',
  '64MiB',
];

function joinOnce(
  url: string,
  sessionId: string,
): Promise<{ ws: WebSocket; credential: TurnCredential; turn: string }> {
  const origin = new URL(url).origin;
  const ws = new WebSocket(`${url.replace(/^https/, 'wss').replace(/\/$/, '')}/signal`, {
    origin,
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no joined within 10 s')), JOIN_TIMEOUT_MS);
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify(joinFrame(sessionId))));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string;
        iceServers?: { urls: string[]; username?: string; credential?: string }[];
      };
      if (frame.type !== 'joined') return;
      clearTimeout(timer);
      const server = frame.iceServers?.find((s) => s.urls.some((u) => u.startsWith('turn:') && u.includes('udp')));
      const turn = server?.urls.find((u) => u.startsWith('turn:') && u.includes('udp'));
      if (!server?.username || !server.credential || !turn) {
        reject(new Error('joined carries no built-in TURN server'));
        return;
      }
      resolve({ ws, credential: { username: server.username, credential: server.credential }, turn });
    });
  });
}

function parseTurnUrl(url: string): { ip: string; port: number } {
  const m = /^turn:([\d.]+):(\d+)/.exec(url);
  if (!m) throw new Error(`unexpected TURN URL ${url}`);
  return { ip: m[1]!, port: Number(m[2]) };
}

export interface BuiltinTurnOptions {
  /** Its name in the results ('built-in' by default). */
  name?: string;
  /** Node flags before the entry (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Blocks the server's main event loop `ms` every `periodMs` (bench/lib/main-stall.mjs). */
  mainStall?: { ms: number; periodMs: number };
}

/** HomeCall from dist/, with its built-in TURN on a free UDP port of 127.0.0.1. */
export async function startBuiltinTurn(workDir: string, options: BuiltinTurnOptions = {}): Promise<RunningTurn> {
  const name = options.name ?? 'built-in';
  const stall = options.mainStall;
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
    ...(stall === undefined ? [] : ['--import', pathToFileURL(join(repoDir, 'bench', 'lib', 'main-stall.mjs')).href]),
  ];
  const logFile = join(workDir, `homecall-turn-${name}.log`);
  const child = spawnNode(
    [
      ...nodeArgs,
      serverEntry,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--turn-port',
      '0',
      '--state-dir',
      join(workDir, 'state'),
      '--log-level',
      'info',
      ...HOMECALL_LOAD_FLAGS,
      ...BUILTIN_BENCH_FLAGS,
    ],
    {
      stdoutFile: logFile,
      cwd: repoDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ...(stall === undefined ? {} : { HOMECALL_BENCH_STALL: `${stall.ms}/${stall.periodMs}` }),
      },
    },
  );
  let url: string;
  let server: RunningTurn['server'];
  try {
    url = await waitForListening(child, logFile);
    // One join learns where the built-in server listens.
    const probe = await joinOnce(url, randomUUID());
    probe.ws.close();
    server = { family: 4 as const, ...parseTurnUrl(probe.turn) };
  } catch (e) {
    await stopChild(child, 0);
    throw e;
  }
  const pid = child.pid!;
  return {
    name,
    server,
    async session() {
      const id = randomUUID();
      const a = await joinOnce(url, id);
      const b = await joinOnce(url, id);
      return {
        legs: [a.credential, b.credential],
        release: () => {
          a.ws.close();
          b.ws.close();
        },
      };
    },
    cpu: () => readCpuSeconds(pid),
    // A profiled server needs its graceful exit to write the profile.
    stop: () => stopChild(child, options.nodeArgs === undefined ? 0 : 10_000),
  };
}

async function freeUdpPort(): Promise<number> {
  // Below 32768 (test ports never collide with the kernel's ephemeral range).
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    s.close();
    if (ok) return port;
  }
  throw new Error('no free UDP port found');
}

/** Debian's coturn, unprivileged-style flags, REST credentials (`use-auth-secret`), on 127.0.0.1. */
export async function startCoturn(workDir: string): Promise<RunningTurn> {
  const secret = randomBytes(32).toString('hex');
  const port = await freeUdpPort();
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--min-port=30000',
    '--max-port=32000',
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=homecall',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-tcp-relay',
    // Both relayed addresses are on 127.0.0.1 here.
    '--allow-loopback-peers',
    `--userdb=${join(workDir, 'turndb')}`,
    `--pidfile=${join(workDir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
  ];
  const child: ChildProcess = spawn('turnserver', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const server = { family: 4 as const, ip: '127.0.0.1', port };
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`coturn could not start (Debian package coturn): ${e.message}`)));
    // coturn is ready when it answers a STUN binding request.
    const probe = createSocket('udp4');
    const binding = Buffer.alloc(20);
    binding.writeUInt16BE(0x0001, 0);
    binding.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(binding, 8);
    const timer = setInterval(() => probe.send(binding, port, '127.0.0.1'), 100);
    const give = setTimeout(() => {
      clearInterval(timer);
      probe.close();
      reject(new Error('coturn did not answer within 10 s'));
    }, 10_000);
    probe.once('message', () => {
      clearInterval(timer);
      clearTimeout(give);
      probe.close();
      resolve();
    });
  });
  await ready.catch(async (e) => {
    // A coturn that never answered is not left running.
    await stopChild(child, 0);
    throw e;
  });
  const pid = child.pid!;
  return {
    name: 'coturn',
    server,
    async session() {
      const credential = (): TurnCredential => {
        const username = `${Math.floor(Date.now() / 1000) + 3600}:bench`;
        return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
      };
      return { legs: [credential(), credential()], release: () => {} };
    },
    cpu: () => readCpuSeconds(pid),
    stop: () => stopChild(child, 1000),
  };
}
