import { fstatSync, write } from 'node:fs';
import { Socket } from 'node:net';

/** Where a LogSink's chunks go: one write at a time, `done` called once per write. */
export interface LogWriter {
  write(text: string, done: (error: NodeJS.ErrnoException | null) => void): void;
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
