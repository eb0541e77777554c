/** One measured server and one load generator aimed at it, both stopped however the work ends. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CertFiles } from './cert.js';
import { Generator, type GeneratorDialect } from './gen-client.js';
import { type RunningServer, type ServerName, startServer, type TargetName } from './targets.js';

/** What every part that starts servers shares: the certificate, the work directory, the TLS mode. */
export interface ServerEnv {
  cert: CertFiles;
  workDir: string;
  /** TLS session resumption in the generator (off with --full-tls). */
  resumeTls: boolean;
}

/** What every part that measures the targets on fresh servers is given. */
export interface PartOptions {
  env: ServerEnv;
  /** The servers measured, in this order. */
  targets: TargetName[];
  log: (msg: string) => void;
}

/**
 * The targets in the order repetition `rep` (from 1) runs them: as given in odd repetitions,
 * reversed in even ones (A B, B A, A B, ...), so that neither always runs first on a machine
 * that warms up or gets busier during a part.
 */
export function targetsInOrder<T>(targets: readonly T[], rep: number): T[] {
  return rep % 2 === 1 ? [...targets] : [...targets].reverse();
}

export interface WithServerOptions {
  env: ServerEnv;
  target: ServerName;
  /** How the generator speaks to this server (HomeCall's protocol by default). */
  speak?: GeneratorDialect;
  /** Names the server's log files in the work directory. */
  label: string;
  /** Directory for `node --cpu-prof`, when profiling. */
  cpuProfDir?: string;
}

/** Starts `target` and a generator, runs `fn`, then stops both in a `finally`, even when `fn` throws. */
export async function withServer<T>(
  options: WithServerOptions,
  fn: (server: RunningServer<ServerName>, gen: Generator) => Promise<T>,
): Promise<T> {
  const { env, target, label, cpuProfDir } = options;
  const server = await startServer(target, { cert: env.cert, workDir: env.workDir, label, cpuProfDir });
  let gen: Generator | null = null;
  try {
    await sleep(300);
    gen = await Generator.start(server.url, env.cert.cert, env.resumeTls, options.speak);
    return await fn(server, gen);
  } finally {
    // The server first: its sockets then close from its side, so the generator's loopback
    // ports do not pile up in TIME_WAIT across runs. The generator is stopped even if that throws.
    try {
      await server.stop();
    } finally {
      await gen?.stop();
    }
  }
}
