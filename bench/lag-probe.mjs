// Preloaded into the measured server (`node --import bench/lag-probe.mjs ...`) so HomeCall and the
// floor report event-loop delay the same way, without changing either. SIGUSR2 dumps the
// histogram since the previous signal to $BENCH_LAG_FILE (one JSON line) and resets it.
// Plain JavaScript so the measured server runs without a TypeScript loader.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LAG_FILE;
if (file) {
  const RESOLUTION_MS = 10;
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  process.on('SIGUSR2', () => {
    // The histogram records the timer's whole interval; the lag is what exceeds the resolution.
    const ms = (ns) => Math.max(0, Math.round((ns - RESOLUTION_MS * 1e6) / 1e4) / 100);
    const line = {
      at: Date.now(),
      count: h.count,
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
    };
    h.reset();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
