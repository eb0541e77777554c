/** Spawning the measured processes and reading their cost from /proc. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** File-descriptor limit wanted for every process the benchmark starts (50k+ sockets each). */
export const NOFILE = 1_048_576;

/**
 * The hard descriptor limit the benchmark's children can reach. Raising it needs root with
 * CAP_SYS_RESOURCE; in a container without it, this bounds how many sockets one server holds.
 */
export function fdHardLimit(): number {
  const out = execFileSync('bash', ['-c', `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n`])
    .toString()
    .trim();
  return out === 'unlimited' ? NOFILE : Number(out);
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = 100;

/** Resident set size in bytes, from /proc/<pid>/status (VmRSS). */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** User + system CPU seconds the process has used so far, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLK_TCK;
}

/** Quotes one argument for `bash -c`. */
const shq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Starts `node <args>` with a raised descriptor limit: bash sets the limit and then `exec`s
 * node, so the child's pid is node's own and /proc readings are the node process's.
 */
export function spawnNode(
  args: string[],
  opts: { stdoutFile?: string; ipc?: boolean; env?: NodeJS.ProcessEnv; cwd?: string },
): ChildProcess {
  const cmd = `{ ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && exec ${shq(process.execPath)} ${args.map(shq).join(' ')}`;
  const out = opts.stdoutFile === undefined ? 'pipe' : openSync(opts.stdoutFile, 'w');
  const child = spawn('bash', ['-c', cmd], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: opts.ipc ? ['ignore', out, 'inherit', 'ipc'] : ['ignore', out, 'inherit'],
  });
  if (typeof out === 'number') closeSync(out);
  return child;
}

/** Waits for the server's `"msg":"listening"` line in its log file and returns its URL. */
export async function waitForListening(child: ChildProcess, logFile: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode} before listening (log: ${logFile})`);
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // Not created yet.
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"listening"')) continue;
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg === 'listening' && typeof rec.url === 'string') return rec.url;
      } catch {
        // A partial line; read again.
      }
    }
    await sleep(50);
  }
  throw new Error(`server did not log "listening" within ${timeoutMs} ms (log: ${logFile})`);
}

/** The one child stop (SIGTERM, then SIGKILL after a grace), shared with the test helpers. */
export { stopChild } from '../../test/helpers/stop-child.js';
