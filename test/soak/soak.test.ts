// The CI soak (reliability.md L1, short): 200 sessions cycling join, offer, answer, 30
// candidates and hangup over real wss for 90 s (L1 asks about 3 min; 90 s keeps CI inside its
// time), against a spawned server. It asserts leaks in kind only, never timings: afterwards
// the registry, the sockets and the timers are back to 0 and the server's descriptors and
// handles back to their idle baseline (taken after a warm-up, so what the server opens once and
// keeps is in both readings; a failure names the extra descriptors by kind). `npm run soak` is the long version (bench/soak.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extraFds, runSoak } from '../../bench/lib/soak-run.js';

test('L1: after 90 s of 200 sessions cycling a full exchange, nothing is left behind: registry, sockets and timers at 0, descriptors and handles at their idle baseline, 0 errors', async () => {
  const report = await runSoak({
    sessions: 200,
    durationMs: 90_000,
    cycleMs: 5000,
    sampleMs: 10_000,
    warmupMs: 30_000,
  });
  const { before, after } = report.idle;
  assert.ok(report.cycles > 0, 'some cycles completed');
  assert.deepEqual(report.errors, {}, 'no cycle failed');
  assert.equal(after.contexts, 0, 'registry contexts');
  assert.equal(after.queuedFrames, 0, 'queued frames');
  assert.equal(after.sockets, 0, 'signalling sockets');
  assert.equal(after.timers, 0, 'session timers');
  // Fewer than at the start is fine (a lazily opened descriptor closed); more would be a leak.
  assert.ok(
    after.fds <= before.fds,
    `open descriptors back to the idle baseline (${before.fds} -> ${after.fds}; extra: ${extraFds(before, after).join(', ')})`,
  );
  assert.ok(
    after.activeHandles <= before.activeHandles,
    `active handles back to the idle baseline (${before.activeHandles} -> ${after.activeHandles})`,
  );
});
