import type { ChildServer } from './server.js';

/** What a spawned server holds right after a full garbage collection (see gc-probe.ts). */
export interface MemoryAfterGc {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

const MARK = 'memory-probe ';

/**
 * Asks a server spawned with `{ memoryProbe: true }` to collect garbage and report its memory
 * (SIGUSR2), and waits (bounded) for the answer on its stderr.
 */
export async function probeMemory(s: ChildServer, ms = 60_000): Promise<MemoryAfterGc> {
  const seen = s.stderr().split(MARK).length;
  s.kill('SIGUSR2');
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const parts = s.stderr().split(MARK);
    if (parts.length > seen) {
      const line = (parts[seen] as string).split('\n');
      if (line.length > 1) return JSON.parse(line[0] as string) as MemoryAfterGc;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no memory-probe answer within ${ms} ms (was the server spawned with memoryProbe?)`);
}
