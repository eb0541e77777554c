import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** Starts the real server in this process (`loadConfig` + `startApp`) on 127.0.0.1, port 0. */
export async function startServer(flags: Flags = {}, options: ServerOptions = {}): Promise<RunningServer> {
  const { argv, secret, stateDir } = await buildArgv(flags, options);
  const { loadConfig } = await import('../../src/server/config/index.js');
  const { startApp } = await import('../../src/server/app.js');
  const logs: string[] = [];
  const logDestination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) logs.push(line);
    },
  };
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
  return { url: app.url, wsUrl: toWsUrl(app.url), port: app.port, tokenSecret: secret, stateDir, logs, close };
}

export interface ChildServer extends RunningServer {
  readonly proc: ChildProcess;
  /** Raw stdout and stderr text so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `node --import tsx src/server/main.ts` as a child on 127.0.0.1, port 0, and waits
 * (bounded) for its `listening` log line.
 */
export async function spawnServer(
  flags: Flags = {},
  options: ServerOptions & { readyTimeoutMs?: number } = {},
): Promise<ChildServer> {
  const { argv, secret, stateDir } = await buildArgv(flags, options);
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/server/main.ts'), ...argv], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

  const ready = new Promise<string>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `server did not log "listening" within ${timeoutMs} ms; stdout: ${out.slice(-2000)} stderr: ${errText.slice(-2000)}`,
          ),
        ),
      timeoutMs,
    );
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
    tokenSecret: secret,
    stateDir,
    logs,
    close,
    proc,
    stdout: () => out,
    stderr: () => errText,
    exited,
    kill,
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
