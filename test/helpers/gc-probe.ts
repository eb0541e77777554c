// Preloaded into a spawned server by memory tests (`spawnServer(flags, { memoryProbe: true })`,
// which adds `--expose-gc`): on SIGUSR2 it runs a full garbage collection and writes one line
// to stderr, `memory-probe {"heapUsed":…,"external":…,"arrayBuffers":…,"rss":…}`, so a test
// measures what the process really holds, not how far the garbage collector has got.
import { memoryUsage } from 'node:process';

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('gc-probe needs node --expose-gc');
process.on('SIGUSR2', () => {
  collect();
  collect();
  const { heapUsed, external, arrayBuffers, rss } = memoryUsage();
  process.stderr.write(`memory-probe ${JSON.stringify({ heapUsed, external, arrayBuffers, rss })}\n`);
});
