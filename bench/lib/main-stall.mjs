/**
 * Preloaded (`node --import`) into the built-in server by the TURN part's "main loop busy"
 * variant: every HOMECALL_BENCH_STALL=`<ms>/<period ms>` the main thread's event loop runs a
 * busy loop of `<ms>`, as a burst of signalling, a slow handler or a major collection of the
 * main heap would. Worker threads are left alone. Plain JavaScript, so dist/ needs no loader.
 */
import { isMainThread } from 'node:worker_threads';

const [stallMs = 0, periodMs = 0] = (process.env.HOMECALL_BENCH_STALL ?? '').split('/').map(Number);
if (isMainThread && stallMs > 0 && periodMs > 0) {
  setInterval(() => {
    const until = performance.now() + stallMs;
    while (performance.now() < until) {
      // Busy: nothing else on this thread runs meanwhile.
    }
  }, periodMs).unref();
}
