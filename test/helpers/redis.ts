/**
 * A real redis-server for the tests that need one: Debian's binary on a free loopback port,
 * without persistence (`--save '' --appendonly no`), in a temp dir removed afterwards. It
 * never skips: a missing binary or a server that does not come up fails with a clear message.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createClient } from 'redis';
import { systemClock } from '../../src/server/clock.js';
import { RedisRegistry, type RedisRegistryOptions } from '../../src/server/sessions/redis-registry.js';
import { freePort } from './free-port.js';

const BINARY_CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];
const READY_TIMEOUT_MS = 15_000;

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Runs one command on a short-lived connection and returns its reply. */
  command(args: string[]): Promise<unknown>;
  /** SIGKILL, then a fresh start on the same port: every key is gone. */
  restart(): Promise<void>;
  /** SIGKILL; the server stays down until `start()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port after `kill()`. */
  start(): Promise<void>;
  /** `CLIENT PAUSE ms ALL`: every client stalls for `ms`. */
  pause(ms: number): Promise<void>;
  /** `CLIENT KILL TYPE pubsub`: every subscriber connection is cut. Returns how many. */
  killSubscribers(): Promise<number>;
  /** Every key, for "nothing left behind" checks. */
  keys(pattern?: string): Promise<string[]>;
  stop(): Promise<void>;
}

const running = new Set<RedisServer>();

function findBinary(): string {
  const found = BINARY_CANDIDATES.find((path) => existsSync(path));
  if (found !== undefined) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server not found: these tests need a real Redis. Install it with `apt-get install -y redis-server` (scripts/test.sh does in CI).',
    );
  }
}

async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`redis-server did not become ready within ${READY_TIMEOUT_MS} ms: ${output.slice(-1000)}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited before ready (code ${code}, signal ${signal}): ${output.slice(-1000)}`));
    });
  });
  proc.removeAllListeners('exit');
  // Keep draining so the pipe never fills.
  proc.stdout?.resume();
  proc.stderr?.resume();
  return proc;
}

async function killProcess(proc: ChildProcess | null): Promise<void> {
  if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await exited;
}

/** Starts a private redis-server; stop it with `stop()` or `stopAllRedis()` in `after`. */
export async function startRedis(): Promise<RedisServer> {
  const binary = findBinary();
  const dir = mkdtempSync(join(tmpdir(), 'homecall-redis-'));
  let port = 0;
  let proc: ChildProcess | null = null;
  // A port picked free may be taken before redis binds it: retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && proc === null; attempt++) {
    port = await freePort();
    try {
      proc = await launch(binary, port, dir);
    } catch (error) {
      lastError = error;
    }
  }
  if (proc === null) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
  const url = `redis://127.0.0.1:${port}`;

  const command = async (args: string[]): Promise<unknown> => {
    const client = createClient({ url, RESP: 2, disableOfflineQueue: true });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  };

  const server: RedisServer = {
    port,
    url,
    command,
    async kill() {
      await killProcess(proc);
      proc = null;
    },
    async start() {
      if (proc !== null) return;
      proc = await launch(binary, port, dir);
    },
    async restart() {
      await server.kill();
      await server.start();
    },
    async pause(ms) {
      await command(['CLIENT', 'PAUSE', String(ms), 'ALL']);
    },
    async killSubscribers() {
      return Number(await command(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
    },
    async keys(pattern = '*') {
      return (await command(['KEYS', pattern])) as string[];
    },
    async stop() {
      running.delete(server);
      await killProcess(proc);
      proc = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(server);
  // The seeds: nothing about a session on disk. Check the server really runs without persistence.
  const save = (await command(['CONFIG', 'GET', 'save'])) as string[];
  const aof = (await command(['CONFIG', 'GET', 'appendonly'])) as string[];
  if (save[1] !== '' || aof[1] !== 'no') {
    await server.stop();
    throw new Error(`redis-server started with persistence (save=${save[1]}, appendonly=${aof[1]})`);
  }
  return server;
}

/** Keys that outlive every session by design: the epoch, the node list, and tombstones of ended contexts. */
const LASTING = /^(epoch|nodes|t:.+)$/;

/**
 * "No key left behind": every key under `prefix` (SCAN) that is there although no session is
 * live, or that has no TTL, described as `key (ttl ms)`. Empty once all sessions ended.
 */
export async function leftoverKeys(server: RedisServer, prefix = 'hc:'): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  // Bounded: SCAN ends when the cursor comes back to 0; a test database holds a few thousand keys.
  for (let round = 0; round < 10_000; round++) {
    const [next, keys] = (await server.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [
      string,
      string[],
    ];
    found.push(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  const bad: string[] = [];
  for (const key of found.sort()) {
    const ttl = Number(await server.command(['PTTL', key]));
    if (ttl === -2) continue; // expired meanwhile
    if (ttl < 0 || !LASTING.test(key.slice(prefix.length))) bad.push(`${key} (ttl ${ttl} ms)`);
  }
  return bad;
}

/**
 * "No key left behind" for given sessions while others may still be live: every key that names
 * one of them, every member of the shared sets (`live`, `holds`, each node's `n:<node>`) that
 * does, and every key under `prefix` without a TTL. Empty once those sessions ended.
 */
export async function sessionTraces(server: RedisServer, ids: readonly string[], prefix = 'hc:'): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 10_000; round++) {
    const [next, batch] = (await server.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [
      string,
      string[],
    ];
    keys.push(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  const traces: string[] = [];
  const members = ids.flatMap((id) => [`${id}|0`, `${id}|1`]);
  for (const key of keys.sort()) {
    const name = key.slice(prefix.length);
    if (ids.some((id) => name.includes(id))) traces.push(key);
    const ttl = Number(await server.command(['PTTL', key]));
    if (ttl === -1) traces.push(`${key} has no TTL`);
    if (ids.length === 0) continue;
    let hits: unknown[] = [];
    if (name === 'live') hits = (await server.command(['ZMSCORE', key, ...ids])) as unknown[];
    else if (name === 'holds') hits = (await server.command(['ZMSCORE', key, ...members])) as unknown[];
    else if (name.startsWith('n:')) hits = (await server.command(['SMISMEMBER', key, ...members])) as unknown[];
    const found = hits.filter((h) => h !== null && h !== 0 && h !== '0').length;
    if (found > 0) traces.push(`${key}: ${found} member(s) of ended sessions`);
  }
  return traces;
}

/** Stops every redis-server this process started; call from `after`. */
export async function stopAllRedis(): Promise<void> {
  await Promise.allSettled([...running].map((server) => server.stop()));
}

process.once('exit', () => {
  for (const server of running) void server.stop();
});

/**
 * A RedisRegistry with the tests' usual settings (a random key prefix, 100 sessions, a queue of
 * 50 frames and 64 KiB, 30 s grace, a 1 h lifetime, a 1 s heartbeat and sweep, the system
 * clock, a silent logger); `overrides` replaces any of them. Not started: the caller starts it,
 * or not, and closes it.
 */
export function testRegistry(url: string, overrides: Partial<RedisRegistryOptions> = {}): RedisRegistry {
  return new RedisRegistry({
    url,
    prefix: `t${randomBytes(4).toString('hex')}:`,
    maxSessions: 100,
    queue: { frames: 50, bytes: 65_536 },
    graceMs: 30_000,
    sessionLifetimeMs: 3_600_000,
    timings: { heartbeatMs: 1000, nodeTimeoutMs: 5000, sweepMs: 1000, sweepSlackMs: 1000 },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
}
