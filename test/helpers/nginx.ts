/**
 * Debian's nginx for the tests that need a real reverse proxy: a given http-level config
 * (upstream and server blocks) on a free loopback port, in a private prefix directory with its
 * own pid file, logs and temp paths, removed afterwards. `nginx -t` checks the config first, so a
 * refused config fails with nginx's own message. It never skips: a missing binary fails clearly.
 * Stopped by `stop()` or `stopAllNginx()` (call it from `after`), and on process exit or SIGINT.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './stop-child.js';
import { freePort } from './free-port.js';

const BINARY = '/usr/sbin/nginx';
const START_ATTEMPTS = 5;
const READY_POLLS = 150;
const POLL_MS = 100;

export interface Nginx {
  readonly port: number;
  /** `https://127.0.0.1:PORT/` (the config decides whether it really speaks TLS). */
  readonly url: string;
  /** The prefix directory (config, logs), removed by `stop()`. */
  readonly dir: string;
  /** The access log so far (e.g. to check it never carries a session id). */
  accessLog(): string;
  /** The error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /**
   * The http{}-level config for the port nginx is to listen on (see `readRecipe`); `dir` is the
   * prefix directory, where `accessLog()` reads `access.log` (point a recipe's own log there).
   */
  site: (port: number, dir: string) => string;
  /** Listen on this port (e.g. one the test had to know before); a free loopback port by default. */
  port?: number;
}

const running = new Set<{ proc: ChildProcess; dir: string; stop: () => Promise<void> }>();

/**
 * A config file from deploy/ as it is, with exact strings replaced (addresses, certificate
 * paths); fails when the file no longer contains one of them, so the test follows the recipe.
 */
export function readRecipe(path: string, replace: Record<string, string>): string {
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`${path} no longer contains "${from}"`);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** Starts nginx; retries on another free port when the chosen one was taken meanwhile. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  if (!existsSync(BINARY))
    throw new Error('nginx not found: install it with `apt-get install -y nginx` (scripts/test.sh does)');
  let lastError: Error | null = null;
  const attempts = options.port === undefined ? START_ATTEMPTS : 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(options.site, port);
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
      if (!/Address already in use/.test(lastError.message)) break;
    }
  }
  throw lastError ?? new Error('nginx did not start');
}

async function launch(site: NginxOptions['site'], port: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-nginx-'));
  // nginx's workers may run as another user (nobody): they must be able to enter the prefix.
  chmodSync(dir, 0o755);
  const conf = join(dir, 'nginx.conf');
  try {
    writeFileSync(join(dir, 'site.conf'), site(port, dir));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf];
  const check = spawnSync(BINARY, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx refused the config: ${check.stderr.trim()}`);
  }
  // No pipes: a worker outliving its master would hold them open and keep this process alive.
  const proc: ChildProcess = spawn(BINARY, args, { stdio: 'ignore' });
  const stop = async () => {
    running.delete(entry);
    // SIGTERM: the master stops its workers too (SIGKILL would orphan them); SIGKILL if it hangs.
    await stopChild(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  const entry = { proc, dir, stop };
  running.add(entry);
  const nginx: Nginx = {
    port,
    url: `https://127.0.0.1:${port}/`,
    dir,
    accessLog: () => read('access.log'),
    errorLog: () => read('error.log'),
    stop,
  };
  // Ready when it accepts a TCP connection (bounded in count and time).
  for (let i = 0; i < READY_POLLS && proc.exitCode === null && proc.signalCode === null; i++) {
    if (await accepts(port)) return nginx;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const log = read('error.log');
  await stop();
  throw new Error(`nginx did not start on port ${port}: ${log.slice(-1500)}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

export async function stopAllNginx(): Promise<void> {
  await Promise.allSettled([...running].map((entry) => entry.stop()));
}

process.once('exit', () => {
  for (const { proc, dir } of running) {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
// Ctrl-C: exit through the 'exit' handlers above (and every other helper's), so nginx goes too.
if (process.listenerCount('SIGINT') === 0) process.once('SIGINT', () => process.exit(130));
