/** Starting and stopping the two measured servers: HomeCall (production build) and the floor. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CertFiles } from './cert.js';
import { readCpuSeconds, readRss, spawnNode, stopChild, waitForListening } from './proc.js';

export const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const benchDir = join(repoDir, 'bench');
export const serverEntry = join(repoDir, 'dist', 'server', 'main.js');

export type TargetName = 'homecall' | 'floor';
/**
 * Every server the benchmark starts: the two wss targets, and the three of the proxy-cost part
 * (plain ws, as behind a TLS-terminating proxy): HomeCall with --trust-proxy, the floor relay
 * in plain mode and peerjs-server (bench/peerjs-server.ts).
 */
export type ServerName = TargetName | ProxyTargetName;
export type ProxyTargetName = 'homecall-proxy' | 'floor-ws' | 'peerjs';

/** Extra arguments for the floor relay (diagnosis only, e.g. `--sniff`). */
export const floorExtraArgs: string[] = (process.env.BENCH_FLOOR_ARGS ?? '').split(' ').filter(Boolean);
/**
 * Extra arguments for HomeCall (diagnosis only: what a feature costs, e.g.
 * `BENCH_HOMECALL_ARGS='--builtin-turn false'`); never for figures in the docs.
 */
export const homecallExtraArgs: string[] = (process.env.BENCH_HOMECALL_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Capacity-type limits raised for the load test, and only those: the default 50 sockets per
 * client address would refuse a load generator that is, to the server, a handful of
 * addresses, and the default node capacity is below the socket counts measured here.
 * Frame-rate limits, sizes, timeouts and every validation stay at their defaults.
 */
export const HOMECALL_LOAD_FLAGS = [
  '--sockets-per-address',
  '1000000',
  '--max-sockets',
  '1000000',
  '--max-sessions',
  '1000000',
];

export interface RunningServer<T extends ServerName = TargetName> {
  target: T;
  child: ChildProcess;
  pid: number;
  url: string;
  logFile: string;
  lagFile: string;
  rss(): number;
  cpu(): number;
  /** Event-loop delay since the previous call (first call just resets). */
  lag(): Promise<LagSample | null>;
  stop(): Promise<void>;
}

export interface LagSample {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface StartOptions {
  cert: CertFiles;
  workDir: string;
  label: string;
  /** Directory for `node --cpu-prof`, when profiling. */
  cpuProfDir?: string;
  /** More node options for the server process (diagnosis, e.g. heap snapshots on a signal). */
  nodeArgs?: string[];
}

/** The server process's arguments after node's own (profiler, lag probe). */
function serverArgs(target: ServerName, opts: StartOptions): string[] {
  const common = [
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--tls-cert',
    opts.cert.certFile,
    '--tls-key',
    opts.cert.keyFile,
  ];
  switch (target) {
    case 'homecall':
    case 'homecall-proxy':
      return [
        serverEntry,
        ...common,
        '--state-dir',
        join(opts.workDir, 'state'),
        '--log-level',
        'info',
        // The built-in STUN/TURN server stays on (the default); on any free UDP port, so a run
        // never collides with another server on this machine holding 3478.
        '--turn-port',
        '0',
        ...HOMECALL_LOAD_FLAGS,
        // Recipe B of the README: plain HTTP from a TLS-terminating proxy on loopback.
        ...(target === 'homecall-proxy' ? ['--trust-proxy'] : []),
        ...homecallExtraArgs,
      ];
    case 'floor':
      return ['--import', 'tsx', join(benchDir, 'floor-relay.ts'), ...common, ...floorExtraArgs];
    case 'floor-ws':
      return ['--import', 'tsx', join(benchDir, 'floor-relay.ts'), '--plain', '--port', '0', '--host', '127.0.0.1'];
    case 'peerjs':
      return ['--import', 'tsx', join(benchDir, 'peerjs-server.ts'), '--port', '0', '--host', '127.0.0.1'];
  }
}

export async function startServer<T extends ServerName>(target: T, opts: StartOptions): Promise<RunningServer<T>> {
  const logFile = join(opts.workDir, `${opts.label}.log`);
  const lagFile = join(opts.workDir, `${opts.label}.lag.jsonl`);
  rmSync(lagFile, { force: true });
  const probe = ['--import', join(benchDir, 'lag-probe.mjs')];
  const prof = [
    ...(opts.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir]),
    ...(opts.nodeArgs ?? []),
  ];
  // The lag probe after tsx's loader, as before, so every server loads it the same way.
  const rest = serverArgs(target, opts);
  const args =
    rest[0] === '--import' ? [...prof, ...rest.slice(0, 2), ...probe, ...rest.slice(2)] : [...prof, ...probe, ...rest];
  const child = spawnNode(args, {
    stdoutFile: logFile,
    cwd: repoDir,
    env: { ...process.env, BENCH_LAG_FILE: lagFile, NODE_ENV: 'production' },
  });
  let url: string;
  try {
    url = await waitForListening(child, logFile);
  } catch (e) {
    await stopChild(child, 1000);
    throw e;
  }
  // Behind the proxy HomeCall is reached in plain HTTP on its one port (the port sniffs the
  // first byte: no TLS record goes to the plain server, which serves it with --trust-proxy and
  // X-Forwarded-Proto https); the URL it logs is its own https one.
  if (target === 'homecall-proxy') url = url.replace(/^https:/, 'http:');
  const pid = child.pid!;
  let lagLines = 0;
  return {
    target,
    child,
    pid,
    url,
    logFile,
    lagFile,
    rss: () => readRss(pid),
    cpu: () => readCpuSeconds(pid),
    async lag() {
      child.kill('SIGUSR2');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const lines = existsSync(lagFile) ? readFileSync(lagFile, 'utf8').trim().split('\n').filter(Boolean) : [];
        if (lines.length > lagLines) {
          lagLines = lines.length;
          return JSON.parse(lines[lines.length - 1]!) as LagSample;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return null;
    },
    // SIGKILL is enough for a measurement run; a profiled server needs SIGTERM and time to
    // write its profile on exit.
    stop: () => (opts.cpuProfDir === undefined ? stopChild(child, 0) : stopChild(child, 20_000)),
  };
}
