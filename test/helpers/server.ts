import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenSecret } from './ids.js';
import { tlsFiles } from './tls.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Flags as a map (`{ '--grace': '500ms' }`), so a test can override a default without duplicates. */
export type Flags = Record<string, string>;

/** Short timeouts for the whole suite (protocol.md: "tests shrink the timeouts"). */
export const FAST_FLAGS: Flags = {
  '--join-timeout': '5s',
  '--grace': '2s',
  '--ping-interval': '500ms',
  '--drop-after': '1500ms',
};

export interface ServerOptions {
  /** Reuse a token secret (restart tests); random otherwise. */
  tokenSecret?: string;
  /** Reuse a state dir (restart tests); a fresh temp dir otherwise. */
  stateDir?: string;
}

export interface RunningServer {
  /** `https://127.0.0.1:PORT/` as the server logged it. */
  readonly url: string;
  /** `wss://127.0.0.1:PORT/signal`. */
  readonly wsUrl: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT/metrics` when started with `--metrics-port`; undefined otherwise. */
  readonly metricsUrl: string | undefined;
  readonly tokenSecret: string;
  readonly stateDir: string;
  /** Every log line so far (JSON text). */
  readonly logs: string[];
  close(): Promise<void>;
}

const cleanups = new Set<() => Promise<void>>();
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function buildArgv(flags: Flags, options: ServerOptions) {
  const tls = await tlsFiles();
  const secret = options.tokenSecret ?? tokenSecret();
  const stateDir = options.stateDir ?? tempDir('homecall-state-');
  const all: Flags = {
    '--port': '0',
    // The built-in STUN/TURN server on any free UDP port: parallel tests never collide on 3478.
    '--turn-port': '0',
    '--host': '127.0.0.1',
    '--tls-cert': tls.certPath,
    '--tls-key': tls.keyPath,
    '--token-secret': secret,
    '--state-dir': stateDir,
    '--log-level': 'debug',
    ...FAST_FLAGS,
    ...flags,
  };
  const argv = Object.entries(all).flatMap(([k, v]) => (v === '' ? [k] : [k, v]));
  return { argv, secret, stateDir };
}

const toWsUrl = (url: string) => `${url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/signal`;

/** A log destination for startApp that keeps every line (JSON text) in `logs`. */
export function collectLogs(): { logs: string[]; logDestination: { write(chunk: string): void } } {
  const logs: string[] = [];
  const logDestination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) logs.push(line);
    },
  };
  return { logs, logDestination };
}

/** Starts the real server in this process (`loadConfig` + `startApp`) on 127.0.0.1, port 0. */
export async function startServer(flags: Flags = {}, options: ServerOptions = {}): Promise<RunningServer> {
  const { argv, secret, stateDir } = await buildArgv(flags, options);
  const { loadConfig } = await import('../../src/server/config/index.js');
  const { startApp } = await import('../../src/server/app.js');
  const { logs, logDestination } = collectLogs();
  const config = loadConfig(argv, {});
  const app = await startApp(config, { logDestination });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    cleanups.delete(close);
    await app.close();
  };
  cleanups.add(close);
  return {
    url: app.url,
    wsUrl: toWsUrl(app.url),
    port: app.port,
    metricsUrl: app.metricsUrl,
    tokenSecret: secret,
    stateDir,
    logs,
    close,
  };
}

export interface ChildServer extends RunningServer {
  readonly proc: ChildProcess;
  /** Raw stdout and stderr text so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** Stops reading the child's stdout (a stalled log reader); its pipe fills up. */
  pauseStdout(): void;
  resumeStdout(): void;
  /** Closes the reading end of the child's stdout: its writes then fail with EPIPE. */
  closeStdout(): void;
}

export interface SpawnOptions extends ServerOptions {
  readyTimeoutMs?: number;
  /** `pipe` (default: read by the helper) or `/dev/full` (every write fails with ENOSPC). */
  stdout?: 'pipe' | '/dev/full';
  /** Preloads test/helpers/gc-probe.ts (with `--expose-gc`), for `probeMemory` (memory-probe.ts). */
  memoryProbe?: boolean;
  /** Extra environment for the child (e.g. libfaketime's LD_PRELOAD); settings stay flags. */
  env?: Record<string, string>;
}

/** A port that was free a moment ago (for a child whose `listening` line cannot be read). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Polls `GET /healthz` (bounded) until it answers. */
async function waitHealthy(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited()) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = httpsGet(
        { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 1000 },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server on port ${port} did not answer /healthz within ${timeoutMs} ms`);
}

/**
 * Starts `node --import tsx src/server/main.ts` as a child on 127.0.0.1, port 0, and waits
 * (bounded) for its `listening` log line.
 */
export async function spawnServer(flags: Flags = {}, options: SpawnOptions = {}): Promise<ChildServer> {
  const devFull = options.stdout === '/dev/full';
  // With stdout on /dev/full no `listening` line can be read: the ports are chosen here.
  const fixedPort: Flags = devFull ? { '--port': String(await freePort()) } : {};
  if (devFull && flags['--metrics-port'] === '0') fixedPort['--metrics-port'] = String(await freePort());
  const { argv, secret, stateDir } = await buildArgv({ ...flags, ...fixedPort }, options);
  const stdoutFd = devFull ? openSync('/dev/full', 'w') : 'pipe';
  const probe = options.memoryProbe ? ['--expose-gc', '--import', join(REPO_ROOT, 'test/helpers/gc-probe.ts')] : [];
  const proc = spawn(process.execPath, ['--import', 'tsx', ...probe, join(REPO_ROOT, 'src/server/main.ts'), ...argv], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'test', ...options.env },
    stdio: ['ignore', stdoutFd, 'pipe'],
  });
  if (typeof stdoutFd === 'number') closeSync(stdoutFd);
  let out = '';
  let errText = '';
  const logs: string[] = [];
  let partial = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const kill = (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  };
  const close = async () => {
    cleanups.delete(close);
    kill('SIGKILL');
    await exited;
  };
  cleanups.add(close);

  // Generous: on a loaded 2-core machine a tsx start with a fresh certificate can take 20 s.
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let metricsUrl =
    fixedPort['--metrics-port'] === undefined ? undefined : `http://127.0.0.1:${fixedPort['--metrics-port']}/metrics`;
  const ready = new Promise<string>((resolve, reject) => {
    if (devFull) {
      const port = Number(fixedPort['--port']);
      const hasExited = () => proc.exitCode !== null || proc.signalCode !== null;
      waitHealthy(port, timeoutMs, hasExited).then(() => resolve(`https://127.0.0.1:${port}/`), reject);
    }
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `server did not log "listening" within ${timeoutMs} ms; stdout: ${out.slice(-2000)} stderr: ${errText.slice(-2000)}`,
          ),
        ),
      timeoutMs,
    );
    if (devFull) clearTimeout(timer);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      out += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
          if (entry.msg === 'metrics listening' && typeof entry.url === 'string') metricsUrl = entry.url;
          if (entry.msg === 'listening' && typeof entry.url === 'string') {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // not a JSON line; kept in `logs` for the assertions
        }
      }
    });
    proc.stderr?.on('data', (chunk: string) => {
      errText += chunk;
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`server exited before listening (code ${code}, signal ${signal}); stderr: ${errText.slice(-2000)}`),
      );
    });
  });
  let url: string;
  try {
    url = await ready;
  } catch (error) {
    await close();
    throw error;
  }
  const port = Number(new URL(url).port);
  return {
    url,
    wsUrl: toWsUrl(url),
    port,
    metricsUrl,
    tokenSecret: secret,
    stateDir,
    logs,
    close,
    proc,
    stdout: () => out,
    stderr: () => errText,
    exited,
    kill,
    pauseStdout: () => proc.stdout?.pause(),
    resumeStdout: () => proc.stdout?.resume(),
    closeStdout: () => proc.stdout?.destroy(),
  };
}

/** Closes every server (in-process or child) still running; call from `after`. */
export async function stopAllServers(): Promise<void> {
  await Promise.allSettled([...cleanups].map((close) => close()));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// Never leave a child behind, even when the test process dies.
process.once('exit', () => {
  for (const close of cleanups) void close();
});
