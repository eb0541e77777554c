/**
 * Debian's caddy running a Caddyfile from deploy/ as it is, with only its addresses replaced for
 * the test (loopback, free port). Test-only global options go in front of it: no admin API,
 * certificates from Caddy's own internal CA (never a public ACME CA, never the system trust
 * store), no port-80 redirects, everything in a temp dir. Fails with a clear message when caddy
 * is missing or refuses the file; stopped by `stop()` or `stopAllCaddy()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { readRecipe } from './nginx.js';
import { sleep } from './protocol.js';
import { stopChild } from './stop-child.js';

const BINARY = '/usr/bin/caddy';

export interface Caddy {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

const running = new Set<Caddy>();

/** One HTTPS request to the port: true when any HTTP response came back (TLS and proxy up). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts caddy on `port` with `recipe` (a file path) after applying `replace` (exact strings). */
export async function startCaddy(recipe: string, port: number, replace: Record<string, string>): Promise<Caddy> {
  if (!existsSync(BINARY))
    throw new Error('caddy not found: install it with `apt-get install -y caddy` (scripts/test.sh does)');
  const dir = mkdtempSync(join(tmpdir(), 'homecall-caddy-'));
  const site = readRecipe(recipe, replace);
  const config = join(dir, 'Caddyfile');
  writeFileSync(
    config,
    `{
	admin off
	local_certs
	skip_install_trust
	auto_https disable_redirects
	http_port ${await freePort()}
	https_port ${port}
	grace_period 1s
	storage file_system ${join(dir, 'data')}
}

${site}`,
  );
  const proc: ChildProcess = spawn(BINARY, ['run', '--adapter', 'caddyfile', '--config', config], {
    env: { PATH: '/usr/bin:/bin', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    output = (output + chunk).slice(-20_000);
  });
  const stop = async () => {
    running.delete(caddy);
    await stopChild(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  const caddy: Caddy = { port, url: `https://127.0.0.1:${port}/`, stop };
  running.add(caddy);
  // Ready when it answers over HTTPS (its internal CA has issued the certificate); bounded.
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) break;
    if (await answers(port)) return caddy;
    await sleep(200);
  }
  await stop();
  throw new Error(`caddy did not start with ${recipe}: ${output.slice(-2000)}`);
}

export async function stopAllCaddy(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
}

process.once('exit', () => {
  for (const c of running) void c.stop();
});
