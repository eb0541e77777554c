/**
 * Debian's nginx running a config file from deploy/ as it is, with only its addresses and
 * certificate paths replaced for the test (loopback, free port, test certificate). Fails with a
 * clear message when nginx is missing or refuses the config; stopped by `stop()` or `stopAllNginx()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './protocol.js';

const BINARY = '/usr/sbin/nginx';

export interface Nginx {
  readonly port: number;
  readonly url: string;
  /** The access log so far (the test checks it never carries a session id). */
  accessLog(): string;
  stop(): Promise<void>;
}

const running = new Set<Nginx>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts nginx on `port` with `recipe` (a file path) after applying `replace` (exact strings). */
export async function startNginx(recipe: string, port: number, replace: Record<string, string>): Promise<Nginx> {
  if (!existsSync(BINARY))
    throw new Error('nginx not found: install it with `apt-get install -y nginx` (scripts/test.sh does)');
  const dir = mkdtempSync(join(tmpdir(), 'homecall-nginx-'));
  let site = readFileSync(recipe, 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    if (!site.includes(from)) throw new Error(`${recipe} no longer contains "${from}"`);
    site = site.replaceAll(from, to);
  }
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
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
  // No pipes: a worker outliving its master would hold them open and keep this process alive.
  const proc: ChildProcess = spawn(BINARY, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const output = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    running.delete(nginx);
    // SIGTERM: the master stops its workers too (SIGKILL would orphan them); SIGKILL if it hangs.
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const nginx: Nginx = {
    port,
    url: `https://127.0.0.1:${port}/`,
    accessLog: () => (existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : ''),
    stop,
  };
  running.add(nginx);
  // Ready when it accepts a TCP connection (bounded).
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return nginx;
    await sleep(100);
  }
  const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
  await stop();
  throw new Error(`nginx did not start: ${output.slice(-1000)} ${log.slice(-1000)}`);
}

export async function stopAllNginx(): Promise<void> {
  await Promise.allSettled([...running].map((n) => n.stop()));
}

process.once('exit', () => {
  for (const n of running) void n.stop();
});
