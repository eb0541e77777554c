/**
 * The measuring window of the calls part. Its loops all start at once, so on a busy machine
 * their first calls (every socket a full TLS handshake) end together, in one wave, seconds
 * later; a fixed window of a second can then fall between two waves and count 0 completed,
 * 0 failed, which reads as a stalled server when it is only a window too short for the load.
 * So the warm-up lasts until every loop has ended its first call, and the window until it has
 * seen a completion, both bounded: a server that really stalls still shows 0 within the bound.
 */

/** The generator's counters at one moment, with the server's CPU seconds read at the same moment. */
export interface CallsMark {
  completed: number;
  failed: number;
  genCpuS: number;
  /** Generator time, ms. */
  at: number;
  serverCpuS: number;
}

export interface CallsWindowOptions {
  mark: () => Promise<CallsMark>;
  sleep: (ms: number) => Promise<void>;
  /** Number of call loops running. */
  concurrency: number;
  /** Shortest warm-up, ms. */
  warmupMs: number;
  /** Shortest window, ms. */
  windowMs: number;
  /** Longest wait for the first calls to end, and again for the window's first completion, ms. */
  boundMs: number;
  /** How often the counters are read while waiting, ms. */
  pollMs?: number;
}

/** The counters at the window's start and end. */
export async function measureCallsWindow(options: CallsWindowOptions): Promise<{ start: CallsMark; end: CallsMark }> {
  const { mark, sleep, concurrency, boundMs } = options;
  const pollMs = options.pollMs ?? 100;
  await sleep(options.warmupMs);
  let start = await mark();
  for (let waited = 0; start.completed + start.failed < concurrency && waited < boundMs; waited += pollMs) {
    await sleep(pollMs);
    start = await mark();
  }
  await sleep(options.windowMs);
  let end = await mark();
  for (let waited = 0; end.completed === start.completed && waited < boundMs; waited += pollMs) {
    await sleep(pollMs);
    end = await mark();
  }
  return { start, end };
}
