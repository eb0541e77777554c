// The log destination fails (reliability.md X8): stdout stalled (a reader that stops reading,
// like a stuck journald), then closed (EPIPE), or /dev/full. Logging must not hurt the service:
// bounded memory, calls keep relaying, and SIGTERM exits within 5 s whatever stdout does.
// Spawns the real server (`node --import tsx src/server/main.ts`) on 127.0.0.1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { probeMemory } from '../helpers/memory-probe.js';
import { joinPair, offer } from '../helpers/protocol.js';
import { type ChildServer, spawnServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { scrapeMetrics } from '../helpers/scrape-metrics.js';

const faults = useIntegrationSuite();

/**
 * The per-socket limiter would cut a flood long before 100,000 frames, and the flooding socket
 * (its pongs queued behind the flood) would hit the heartbeat timeout; these tests need the
 * log lines. One frame may wait for the absent participant, so every further offer is refused
 * with QUEUE_FULL: one error reply and one (unthrottled) `queue-full` warn line per frame.
 */
const FLOOD_FLAGS = {
  '--metrics-port': '0',
  '--join-timeout': '120s',
  '--drop-after': '600s',
  '--queue-frames': '1',
  '--max-backlog-bytes': '1GiB',
  '--rate-burst-frames': '1000000',
  '--rate-frames-per-sec': '1000000',
  '--rate-burst-bytes': '1GiB',
  '--rate-bytes-per-sec': '1GiB',
};
const LINES = 100_000;
/** The sink's buffer (src/server/main.ts LOG_BUFFER_BYTES). */
const LOG_BUFFER_BYTES = 1024 * 1024;
/** The behaviour asked for (exit within 5 s of SIGTERM): the requirement, not a timing. */
const EXIT_BOUND_MS = 5000;
/** Only bounds a wait for the server to handle a flood (a loaded 2-core machine is slow). */
const FLOOD_WAIT_MS = 300_000;

function exitWithin(s: ChildServer, ms: number) {
  return Promise.race([
    s.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`process still running ${ms} ms after SIGTERM`)), ms),
    ),
  ]);
}

async function metric(s: ChildServer, name: string): Promise<number> {
  assert.ok(s.metricsUrl, 'the server has a metrics listener');
  const value = (await scrapeMetrics(s.metricsUrl, 5000)).get(name);
  assert.ok(value !== undefined, `${name} in /metrics`);
  return value;
}

/**
 * Makes the server log exactly `count` lines and returns once it has: a lone participant whose
 * queue holds one frame sends `count` more offers, each refused with QUEUE_FULL (one reply, one
 * `queue-full` line). Waits for all `count` replies, so every line has been handed to the logger.
 */
async function logLines(s: ChildServer, count: number): Promise<void> {
  const c = await TestClient.connect(s.wsUrl);
  const id = uuid();
  await c.join(id);
  let refused = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  c.ws.on('message', (data) => {
    if (String(data).includes('"QUEUE_FULL"') && ++refused === count) done();
  });
  const text = JSON.stringify(offer(id, 'flood'));
  for (let i = 0; i <= count; i++) c.ws.send(text);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${refused} of ${count} QUEUE_FULL replies`)), FLOOD_WAIT_MS);
  });
  try {
    await Promise.race([
      all,
      timeout,
      c.closed.then((info) => Promise.reject(new Error(`closed: ${JSON.stringify(info)}`))),
    ]);
  } finally {
    clearTimeout(timer);
  }
  c.close();
}

/** A call that relays both ways: the service is unaffected by its log destination. */
async function assertRelays(s: ChildServer, label: string): Promise<void> {
  const { id, a, b } = await joinPair(s.wsUrl);
  a.send(offer(id, label));
  assert.deepEqual(await b.next('offer'), offer(id, label));
  b.send({ type: 'answer', sessionId: id, sdp: `v=0 ${label}` });
  assert.deepEqual(await a.next('answer'), { type: 'answer', sessionId: id, sdp: `v=0 ${label}` });
  a.send({ type: 'hangup', sessionId: id });
  await b.next('hangup');
}

describe('the log destination fails (X8)', () => {
  test('X8: stdout stalled: 100,000 lines keep memory bounded (dropped, counted), a call relays, the drop is reported once stdout reads again, and SIGTERM with lines pending exits 0 within 5 s while stdout stays stalled and then closes', async (t) => {
    const s = await spawnServer(FLOOD_FLAGS, { memoryProbe: true });
    // The size of one line, read while stdout still flows: what keeping every line would cost.
    await logLines(s, 10);
    const deadline0 = Date.now() + 30_000;
    while (!s.logs.some((l) => l.includes('"queue-full"')) && Date.now() < deadline0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const sample = s.logs.find((l) => l.includes('"queue-full"'));
    assert.ok(sample, 'a queue-full line on stdout');
    const keptBytes = LINES * (Buffer.byteLength(sample) + 1);

    s.pauseStdout();
    // Fill the pipe and the sink's buffer (a line is over 100 bytes): from here on stdout is stalled.
    await logLines(s, 2 * Math.ceil(LOG_BUFFER_BYTES / 100));
    const before = await probeMemory(s);
    await logLines(s, LINES);
    const after = await probeMemory(s);
    // After a full collection, what the process holds: a sink that kept the lines would hold at
    // least keptBytes more (about 20 MB); the bounded one holds its 1 MiB, already full before.
    // (RSS is no measure here: handling 100,000 frames on a loaded machine grows V8's young
    // generation by more than the lines would take, with the lines not even logged.)
    const growth = after.heapUsed + after.external - (before.heapUsed + before.external);
    t.diagnostic(
      `memory after GC: +${growth} bytes (${LINES} lines would keep ${keptBytes}); RSS +${after.rss - before.rss}`,
    );
    assert.ok(
      growth < keptBytes / 2,
      `memory after GC grew by ${growth} bytes while logging ${LINES} lines (${keptBytes} bytes) into a stalled stdout`,
    );
    assert.ok((await metric(s, 'homecall_log_buffered_bytes')) <= LOG_BUFFER_BYTES);
    const dropped = await metric(s, 'homecall_log_lines_dropped_total');
    assert.ok(dropped >= LINES, `only ${dropped} lines dropped of ${LINES} logged into a stalled stdout`);
    await assertRelays(s, 'while-stalled');

    // The reader comes back: the backlog is written, then exactly one line tells what was lost.
    const seen = s.logs.length;
    s.resumeStdout();
    const deadline = Date.now() + 30_000;
    while (!s.logs.slice(seen).some((l) => l.includes('log lines were dropped')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const reports = s.logs.slice(seen).filter((l) => l.includes('log lines were dropped'));
    assert.equal(reports.length, 1, 'one line reports the drop');
    const report = JSON.parse(reports[0] as string) as { dropped: number; level: string };
    assert.equal(report.level, 'warn');
    assert.ok(report.dropped >= dropped, `reported ${report.dropped}, metric said ${dropped}`);

    // Stalled again, with lines pending: SIGTERM, then the reader goes away for good.
    s.pauseStdout();
    await logLines(s, 20_000);
    s.kill('SIGTERM');
    const closer = setTimeout(() => s.closeStdout(), 1000);
    try {
      assert.equal((await exitWithin(s, EXIT_BOUND_MS)).code, 0);
    } finally {
      clearTimeout(closer);
    }
  });

  test('X8: stdout closed (EPIPE): calls keep relaying, nothing crashes, and SIGTERM with nothing pending exits 0 within 5 s', async () => {
    const s = await spawnServer(FLOOD_FLAGS);
    s.closeStdout();
    await logLines(s, 1000);
    await assertRelays(s, 'after-epipe');
    assert.ok((await metric(s, 'homecall_log_lines_dropped_total')) >= 1000);
    s.kill('SIGTERM');
    assert.equal((await exitWithin(s, EXIT_BOUND_MS)).code, 0);
    assert.equal(s.stderr().trim(), '', 'nothing on stderr (no crash)');
  });

  test('X8: stdout is /dev/full: calls relay, lines are dropped and counted, and SIGTERM exits 0 within 5 s', async () => {
    const s = await spawnServer(FLOOD_FLAGS, { stdout: '/dev/full' });
    // More than the sink's buffer holds (a line is over 100 bytes), so most must be dropped.
    await logLines(s, 20_000);
    await assertRelays(s, 'on-dev-full');
    assert.ok((await metric(s, 'homecall_log_lines_dropped_total')) >= 20_000 - LOG_BUFFER_BYTES / 100);
    s.kill('SIGTERM');
    assert.equal((await exitWithin(s, EXIT_BOUND_MS)).code, 0);
    assert.equal(s.stderr().trim(), '', 'nothing on stderr (no crash)');
  });

  test('X6: no uncaught exception or unhandled rejection in this file', () => {
    assert.equal(faults.count, 0, String(faults.errors));
  });
});
