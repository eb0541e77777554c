/** The orchestrator's handle on a load-generator process (bench/load-gen.ts) over IPC. */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNode } from './proc.js';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** How the generator speaks to its server (defaults: HomeCall's protocol, no proxy headers). */
export interface GeneratorDialect {
  dialect?: 'homecall' | 'peerjs';
  /** Host, Origin, X-Forwarded-Proto https and X-Forwarded-For, as nginx passes them on. */
  proxyHeaders?: boolean;
}

export class Generator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`generator: ${m.error}`));
      else p.resolve(m.result);
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`generator exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Starts a generator aimed at `url`, trusting `ca`; `dialect` and headers as load-gen.ts's `init` takes them. */
  static async start(url: string, ca: string, resumeTls = true, speak: GeneratorDialect = {}): Promise<Generator> {
    // A large heap: 50k+ TLS client sockets live in this one process.
    const child = spawnNode(['--max-old-space-size=8192', '--import', 'tsx', join(benchDir, 'load-gen.ts')], {
      ipc: true,
      cwd: join(benchDir, '..'),
    });
    const gen = new Generator(child);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('generator did not start within 30 s')), 30_000);
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        child.once('exit', (code) => reject(new Error(`generator exited with ${code} at start`)));
      });
      await gen.call('init', { url, ca, resumeTls, ...speak });
    } catch (e) {
      // A generator that never became ready is not left running.
      await gen.stop();
      throw e;
    }
    return gen;
  }

  call<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
