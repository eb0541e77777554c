import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { LogSink } from './log-sink.js';
import type { LogWriter } from './log-writer.js';

/** A destination the test drives by hand: each write waits until the test completes it. */
class ManualWriter implements LogWriter {
  readonly written: string[] = [];
  pending: { text: string; done: (error: NodeJS.ErrnoException | null) => void } | null = null;
  writes = 0;

  write(text: string, done: (error: NodeJS.ErrnoException | null) => void): void {
    assert.equal(this.pending, null, 'one write in flight at a time');
    this.writes += 1;
    this.pending = { text, done };
  }

  complete(): void {
    const p = this.pending;
    assert.ok(p, 'a write is in flight');
    this.pending = null;
    this.written.push(p.text);
    p.done(null);
  }

  fail(code: string): void {
    const p = this.pending;
    assert.ok(p, 'a write is in flight');
    this.pending = null;
    p.done(Object.assign(new Error(code), { code }));
  }

  get lines(): string[] {
    return this.written.join('').split('\n').filter(Boolean);
  }
}

const line = (n: number) => `${JSON.stringify({ n, pad: 'x'.repeat(80) })}\n`;
const LINE_BYTES = Buffer.byteLength(line(0));

function setup(maxLines = 10) {
  const writer = new ManualWriter();
  const clock = new FakeClock();
  const sink = new LogSink({ writer, maxBufferedBytes: LINE_BYTES * maxLines, clock });
  const reports: number[] = [];
  sink.onRecovered((n) => {
    reports.push(n);
    sink.write(`${JSON.stringify({ msg: 'dropped', n })}\n`);
  });
  return { writer, clock, sink, reports };
}

test('X8: lines are written in order, batched while a write is in flight', () => {
  const { writer, sink } = setup();
  for (let i = 0; i < 5; i++) sink.write(line(i));
  writer.complete();
  writer.complete();
  assert.equal(writer.pending, null);
  assert.deepEqual(
    writer.lines.map((l) => JSON.parse(l).n),
    [0, 1, 2, 3, 4],
  );
  assert.equal(writer.writes, 2, 'the 4 lines that waited went in one write');
  assert.equal(sink.droppedTotal, 0);
});

test('X8: a stalled destination holds at most the buffer limit; the rest is dropped and counted, never buffered', () => {
  const { writer, sink, reports } = setup(10);
  for (let i = 0; i < 100_000; i++) sink.write(line(i));
  assert.ok(sink.bufferedBytes <= LINE_BYTES * 10, `buffered ${sink.bufferedBytes} bytes`);
  assert.equal(sink.droppedTotal, 100_000 - 10);
  assert.deepEqual(reports, [], 'nothing reported while still stalled');
  // The destination recovers: the backlog drains, then exactly one line tells what was lost.
  writer.complete();
  writer.complete();
  assert.deepEqual(reports, [99_990]);
  writer.complete();
  assert.equal(writer.pending, null);
  const lines = writer.lines.map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.slice(0, 10).map((l) => l.n),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(lines.slice(10), [{ msg: 'dropped', n: 99_990 }]);
  // Later drops are counted from zero again.
  sink.write(line(1));
  writer.complete();
  assert.deepEqual(reports, [99_990]);
});

test('X8: settle() resolves false after its deadline while the destination is stalled, and flush() never blocks', async () => {
  const { writer, clock, sink } = setup();
  sink.write(line(0));
  let flushed = false;
  sink.flush(() => {
    flushed = true;
  });
  const settled = sink.settle(500);
  clock.advance(500);
  assert.equal(await settled, false);
  assert.equal(flushed, false);
  writer.complete();
  assert.equal(flushed, true);
  assert.equal(await sink.settle(500), true, 'idle: settles at once');
});

test('X8: a closed pipe (EPIPE) breaks the sink for good: queued and later lines are dropped, waiters released', async () => {
  const { writer, sink } = setup();
  for (let i = 0; i < 5; i++) sink.write(line(i));
  const settled = sink.settle(10_000);
  writer.fail('EPIPE');
  assert.equal(await settled, false);
  assert.equal(await sink.settle(10_000), false, 'broken for good: settle() answers false at once');
  assert.equal(sink.droppedTotal, 5);
  sink.write(line(9));
  assert.equal(writer.pending, null, 'no write is tried on a broken destination');
  assert.equal(sink.droppedTotal, 6);
});

test('X8: a full disk (ENOSPC) drops that chunk, waits a second, then tries again and recovers', () => {
  const { writer, clock, sink, reports } = setup();
  sink.write(line(0));
  writer.fail('ENOSPC');
  sink.write(line(1));
  assert.equal(writer.pending, null, 'no retry before the pause');
  assert.equal(sink.droppedTotal, 1);
  clock.advance(1000);
  writer.complete();
  assert.deepEqual(reports, [1]);
  writer.complete();
  assert.deepEqual(
    writer.lines.map((l) => JSON.parse(l)),
    [JSON.parse(line(1)), { msg: 'dropped', n: 1 }],
  );
});
