import { fstatSync, write } from 'node:fs';
import { Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock.js';

/** Where a LogSink's chunks go: one write at a time, `done` called once per write. */
export interface LogWriter {
  write(text: string, done: (error: NodeJS.ErrnoException | null) => void): void;
  /** A write held back (for a batch) goes out now. */
  flush?(): void;
}

/**
 * A write that comes within this long of the previous one waits out the rest of it, so the
 * lines the sink queues meanwhile go out together in its next write: at most one write per
 * 10 ms (or per 16 KiB chunk, when the sink flushes early), not one per line. One write (a
 * syscall and a threadpool round trip) per log line was ~17% of the server's CPU under a few
 * hundred calls a second behind a proxy (docs/performance.md, proxy cost).
 */
export const LOG_BATCH_MS = 10;

/**
 * Batches the writes a LogSink makes to `inner`. The sink keeps one write in flight, so while
 * this one waits, the lines that come are queued there (bounded by its buffer limit) and go in
 * its next write. Nothing is lost: the held write always goes out, at the latest after
 * LOG_BATCH_MS, at once on `flush()` (the sink's flush and settle, exit paths included).
 */
export function batchingWriter(inner: LogWriter, clock: Clock, batchMs = LOG_BATCH_MS): LogWriter {
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let held: { text: string; done: (error: NodeJS.ErrnoException | null) => void; timer: TimerHandle } | null = null;
  const send = (text: string, done: (error: NodeJS.ErrnoException | null) => void) => {
    lastWriteAt = clock.now();
    inner.write(text, done);
  };
  const release = () => {
    const h = held;
    if (h === null) return;
    held = null;
    clock.clearTimeout(h.timer);
    send(h.text, h.done);
  };
  return {
    write(text, done) {
      const wait = lastWriteAt + batchMs - clock.now();
      if (wait <= 0) return send(text, done);
      held = { text, done, timer: clock.setTimeout(release, wait) };
    },
    flush: release,
  };
}

/**
 * A writer for a file descriptor (stdout is 1) that can never block the process.
 *
 * A pipe or a socket (docker, systemd's journald, `| tee`) is written through a libuv stream,
 * which puts the descriptor in non-blocking mode: a reader that stops reading makes writes wait
 * in the event loop, not in a thread. (A blocking `fs.write` on a stalled pipe holds a
 * threadpool thread forever, and process exit then waits for that thread.) A regular file or
 * a character device (`/dev/full`, `/dev/null`, a terminal) is written with `fs.write`, which
 * answers at once, with an error if the disk is full.
 */
export function createFdWriter(fd: number): LogWriter {
  const stat = fstatSync(fd);
  if (stat.isFIFO() || stat.isSocket()) return streamWriter(fd);
  return fileWriter(fd);
}

function streamWriter(fd: number): LogWriter {
  const socket = new Socket({ fd, readable: false, writable: true });
  // The process exits when its work is done (or main.ts says so), never waiting on log lines.
  socket.unref();
  // The write's own callback reports the error; this only keeps it from being thrown.
  socket.on('error', () => {});
  return {
    write(text, done) {
      if (socket.destroyed) {
        const error: NodeJS.ErrnoException = new Error('log destination closed');
        error.code = 'EPIPE';
        return queueMicrotask(() => done(error));
      }
      socket.write(text, (error) => done((error as NodeJS.ErrnoException | null | undefined) ?? null));
    },
  };
}

function fileWriter(fd: number): LogWriter {
  return {
    write(text, done) {
      const buffer = Buffer.from(text);
      const writeFrom = (offset: number) =>
        write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
          if (error) return done(error);
          if (written === 0) return done(Object.assign(new Error('log destination accepts no bytes'), { code: 'EIO' }));
          if (offset + written < buffer.length) return writeFrom(offset + written);
          done(null);
        });
      writeFrom(0);
    },
  };
}
