import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO = resolve(import.meta.dirname, '../../..');
/** Bounds a start (tsx compiles the server first): a 2-core machine running several tiers at once
 * has been seen to need more than 30 s. */
const START_TIMEOUT_MS = 120_000;

/** Builds the web client once if this checkout has no build yet (`npm test` builds first). */
export function ensureWebBuild(): void {
  if (existsSync(resolve(REPO, 'dist/web/index.html'))) return;
  const r = spawnSync(process.execPath, [resolve(REPO, 'node_modules/vite/bin/vite.js'), 'build'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('vite build failed');
}

export interface RunningServer {
  url: string;
  port: number;
  secret: string;
  /** Freezes the server process (SIGSTOP): alive, its sockets open, but answering nothing. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}

/** Starts the real server (HTTPS + /signal + dist/web) on 127.0.0.1 and waits for its "listening" line. */
export async function startServer(opts: { port?: number; secret?: string } = {}): Promise<RunningServer> {
  const secret = opts.secret ?? randomBytes(32).toString('hex');
  const args = [
    '--import',
    'tsx',
    'src/server/main.ts',
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    // The built-in STUN/TURN server is on, as by default, on any free UDP port: test files run
    // two at a time, and two servers cannot both hold 3478.
    '--turn-port',
    '0',
    '--token-secret',
    secret,
    '--log-level',
    'info',
  ];
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await waitForListening(child);
  return {
    url,
    port: Number(new URL(url).port),
    secret,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: () => {
      child.kill('SIGCONT');
      return stopChild(child);
    },
  };
}

/**
 * Resolves with the URL of a starting server's "listening" log line (stdout, JSON lines);
 * rejects with its stderr if it exits or does not get there in time.
 */
export function waitForListening(child: ChildProcess, timeoutMs = START_TIMEOUT_MS): Promise<string> {
  const stderr: string[] = [];
  child.stderr?.on('data', (d) => stderr.push(String(d)));
  return new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time: ${stderr.join('')}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg === 'listening' && rec.url) {
          clearTimeout(timer);
          resolveUrl(rec.url.replace(/\/$/, ''));
        }
      } catch {
        // Not a log line.
      }
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A plain TCP relay in front of the server (TLS passes through untouched). Cutting its
 * connections is a real network drop for one browser: no close frame reaches the server.
 */
export async function startTcpProxy(
  targetPort: number,
): Promise<{ url: string; cutAll(): void; block(on: boolean): void; close(): Promise<void> }> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    /** While blocked, new connections are reset at once: the network is down for this browser. */
    block(on: boolean) {
      blocked = on;
    },
    cutAll() {
      for (const [a, b] of pairs) {
        a.resetAndDestroy();
        b.resetAndDestroy();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => r());
      }),
  };
}
