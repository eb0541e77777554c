import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { LogSink } from './log-sink.js';
import { batchingWriter, LOG_BATCH_MS, type LogWriter } from './log-writer.js';

/** A destination that completes every write at once and keeps what it got, one entry per write. */
class InstantWriter implements LogWriter {
  readonly writes: string[] = [];
  write(text: string, done: (error: NodeJS.ErrnoException | null) => void): void {
    this.writes.push(text);
    done(null);
  }
}

const line = (n: number) => `${JSON.stringify({ n, pad: 'x'.repeat(80) })}\n`;

function setup() {
  const inner = new InstantWriter();
  const clock = new FakeClock();
  const sink = new LogSink({ writer: batchingWriter(inner, clock), maxBufferedBytes: 1024 * 1024, clock });
  const lines = () =>
    inner.writes
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).n as number);
  return { inner, clock, sink, lines };
}

test('X8: lines within the batch window go out in one write, in order, none lost', () => {
  const { inner, clock, sink, lines } = setup();
  sink.write(line(0));
  assert.equal(inner.writes.length, 1, 'the first line after a quiet spell goes at once');
  for (let i = 1; i <= 50; i++) sink.write(line(i));
  assert.equal(inner.writes.length, 1, 'the lines right after it wait for the batch');
  clock.advance(LOG_BATCH_MS);
  assert.equal(inner.writes.length, 2, 'the held write, at the end of the window');
  clock.advance(LOG_BATCH_MS);
  assert.equal(inner.writes.length, 3, 'the 49 lines queued behind it, in one write a window later');
  assert.deepEqual(
    lines(),
    Array.from({ length: 51 }, (_, i) => i),
  );
  clock.advance(LOG_BATCH_MS);
  sink.write(line(51));
  assert.equal(inner.writes.length, 4, 'after a quiet window, at once again');
});

test('X8: 16 KiB waiting does not wait out the batch window', () => {
  const { inner, clock, sink, lines } = setup();
  const perChunk = Math.floor((16 * 1024) / Buffer.byteLength(line(0)));
  const n = 3 * perChunk;
  for (let i = 0; i < n; i++) sink.write(line(i));
  assert.ok(lines().length >= 2 * perChunk, `${lines().length} of ${n} lines out without the clock moving`);
  assert.ok(
    inner.writes.every((w) => Buffer.byteLength(w) <= 16 * 1024),
    'no write over 16 KiB',
  );
  clock.advance(2 * LOG_BATCH_MS);
  assert.deepEqual(
    lines(),
    Array.from({ length: n }, (_, i) => i),
  );
});

test('X8: flush() and settle() write a held batch at once (the exit paths)', async () => {
  const { inner, sink, lines } = setup();
  sink.write(line(0));
  sink.write(line(1));
  assert.equal(inner.writes.length, 1);
  let flushed = false;
  sink.flush(() => {
    flushed = true;
  });
  assert.equal(flushed, true, 'flushed without the clock moving');
  assert.deepEqual(lines(), [0, 1]);
  sink.write(line(2));
  assert.equal(await sink.settle(1000), true);
  assert.deepEqual(lines(), [0, 1, 2]);
});
