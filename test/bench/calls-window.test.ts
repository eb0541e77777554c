// The calls part's window (bench/lib/calls-window.ts) against a simulated generator whose call
// loops end their calls together, in waves: what a busy machine does to the smoke run, where the
// first calls (full TLS handshakes for every socket) end seconds after the loops start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CallsMark, measureCallsWindow } from '../../bench/lib/calls-window.js';

/** Ten loops whose calls all end at firstMs, firstMs + periodMs, ... (virtual time). */
function waves(opts: { loops: number; firstMs: number; periodMs: number }) {
  let now = 0;
  const completedAt = (t: number) =>
    t < opts.firstMs ? 0 : opts.loops * (1 + Math.floor((t - opts.firstMs) / opts.periodMs));
  return {
    sleep: async (ms: number) => {
      now += ms;
    },
    mark: async (): Promise<CallsMark> => ({
      completed: completedAt(now),
      failed: 0,
      genCpuS: 0,
      at: now,
      serverCpuS: 0,
    }),
    now: () => now,
  };
}

const SMOKE = { concurrency: 10, warmupMs: 300, windowMs: 1000, boundMs: 15_000 };

test('calls that end in waves slower than the smoke window are counted, not read as a stall', async () => {
  const gen = waves({ loops: 10, firstMs: 2800, periodMs: 2500 });
  // What a fixed 300 ms warm-up and 1 s window saw: nothing, although nothing was stuck.
  await gen.sleep(SMOKE.warmupMs);
  const fixedStart = await gen.mark();
  await gen.sleep(SMOKE.windowMs);
  assert.equal(
    (await gen.mark()).completed - fixedStart.completed,
    0,
    'the scenario reproduces the 0-completed window',
  );

  const sim = waves({ loops: 10, firstMs: 2800, periodMs: 2500 });
  const { start, end } = await measureCallsWindow({ ...SMOKE, mark: sim.mark, sleep: sim.sleep });
  assert.ok(start.completed >= 10, 'the warm-up lasts until every loop ended its first call');
  assert.ok(end.completed > start.completed, 'the window lasts until it saw a call complete');
  assert.ok(end.at - start.at >= SMOKE.windowMs, 'the window is never shorter than asked');
});

test('a server that really stalls still shows 0 completed, within the bound', async () => {
  const sim = waves({ loops: 10, firstMs: Number.POSITIVE_INFINITY, periodMs: 1 });
  const { start, end } = await measureCallsWindow({ ...SMOKE, mark: sim.mark, sleep: sim.sleep });
  assert.equal(end.completed - start.completed, 0);
  assert.ok(sim.now() <= SMOKE.warmupMs + SMOKE.windowMs + 2 * SMOKE.boundMs + 200, 'the waits are bounded');
});

test('a quiet machine: the window is the configured one', async () => {
  const sim = waves({ loops: 10, firstMs: 90, periodMs: 90 });
  const { start, end } = await measureCallsWindow({ ...SMOKE, mark: sim.mark, sleep: sim.sleep });
  assert.equal(start.at, SMOKE.warmupMs);
  assert.equal(end.at - start.at, SMOKE.windowMs);
  assert.ok(end.completed - start.completed > 0);
});
