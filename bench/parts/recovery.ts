/**
 * The network-change part of the benchmark (`npm run bench -- --parts recovery`; needs root):
 * bench/browser/turn-recovery.ts in its own process (it drives browsers in network namespaces
 * with the NAT tests' helpers, which are browser-test code), its one JSON line read back.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, repoDir } from '../lib/targets.js';

/** What bench/browser/turn-recovery.ts prints (its RecoveryResult; not imported: browser-test code). */
export interface RecoveryResult {
  runs: number;
  recoveryMs: (number | null)[];
  medianMs: number | null;
}

export interface RecoveryOptions {
  /** Address changes mid-call, one call each. */
  runs: number;
  log?: (msg: string) => void;
}

/** Times `runs` public-address changes mid-call (from the change to media both ways again). */
export async function measureRecovery(options: RecoveryOptions): Promise<RecoveryResult> {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(benchDir, 'browser', 'turn-recovery.ts'), '--runs', String(options.runs)],
    { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: (options.runs + 2) * 90_000 },
  );
  if (r.status !== 0) throw new Error(`turn-recovery exited with ${r.status ?? r.signal}`);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as RecoveryResult;
  options.log?.(
    `  recovery: ${result.recoveryMs.join(', ')} ms; median ${result.medianMs} ms over ${result.runs} runs`,
  );
  return result;
}
