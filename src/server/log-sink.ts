import type { Clock } from './clock.js';
import type { LogWriter } from './log-writer.js';

// Logging must never hurt the service (reliability.md X8). A stalled reader (a stuck journald
// or log shipper), a closed pipe or a full disk may lose log lines, but must not grow memory,
// block the event loop, or hold up a stop. So: one bounded queue, one write in flight, drops
// counted, and no synchronous flush anywhere (sonic-boom's flushSync retries EAGAIN and EPIPE
// forever, and its threadpool write on a blocking pipe keeps the process from exiting).

export interface LogSinkOptions {
  writer: LogWriter;
  /** Lines that would take the queue (and the write in flight) past this are dropped. */
  maxBufferedBytes: number;
  clock: Clock;
}

/** After a write error that may pass (a full disk), the queue waits this long before the next try. */
const RETRY_AFTER_ERROR_MS = 1000;
/** One write carries at most this much (sonic-boom's MAX_WRITE; Docker's log copier buffer). */
const MAX_CHUNK_BYTES = 16 * 1024;
/** Errors after which the destination is gone for good: everything from then on is dropped. */
const FATAL_CODES = new Set(['EPIPE', 'EBADF', 'ECONNRESET', 'ENOTCONN', 'ERR_STREAM_DESTROYED', 'EINVAL']);

interface Chunk {
  text: string;
  lines: number;
}

/**
 * A pino destination that never blocks and never grows without bound: lines past the buffer
 * limit are dropped and counted, and once the destination catches up the count is reported once.
 */
export class LogSink {
  readonly #writer: LogWriter;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #queue: string[] = [];
  #queuedBytes = 0;
  #inFlight: Chunk | null = null;
  #inFlightBytes = 0;
  #retrying = false;
  #broken = false;
  #droppedTotal = 0;
  #droppedUnreported = 0;
  #idleWaiters: Array<() => void> = [];
  #onRecovered: ((dropped: number) => void) | null = null;

  constructor({ writer, maxBufferedBytes, clock }: LogSinkOptions) {
    this.#writer = writer;
    this.#max = maxBufferedBytes;
    this.#clock = clock;
  }

  /** Lines dropped since the start (the `homecall_log_lines_dropped_total` metric). */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Bytes waiting or being written. */
  get bufferedBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Called once each time the destination catches up after dropping lines, with how many. */
  onRecovered(listener: (dropped: number) => void): void {
    this.#onRecovered = listener;
  }

  /** pino's destination interface: one JSON line, newline included. Never throws, never blocks. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#broken || this.bufferedBytes + bytes > this.#max) return this.#drop(1);
    this.#queue.push(line);
    this.#queuedBytes += bytes;
    this.#pump();
    this.#flushIfFull();
  }

  /** A chunk's worth waiting: a write the writer holds back for its batch goes now. */
  #flushIfFull(): void {
    if (this.#inFlight !== null && this.bufferedBytes >= MAX_CHUNK_BYTES) this.#writer.flush?.();
  }

  /**
   * pino's `logger.flush(cb)`: a write the writer holds back for its batch goes now; cb once
   * everything queued is written (or can never be). Never blocks.
   */
  flush(cb?: (error?: Error) => void): void {
    if (this.#inFlight !== null) this.#writer.flush?.();
    if (this.#isIdle()) return void cb?.();
    this.#idleWaiters.push(() => cb?.());
  }

  /** Waits until everything queued is written, or `ms` have passed; resolves true if it was written. */
  settle(ms: number): Promise<boolean> {
    if (this.#inFlight !== null) this.#writer.flush?.();
    if (this.#isIdle()) return Promise.resolve(!this.#broken);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => resolve(false), ms);
      this.#idleWaiters.push(() => {
        this.#clock.clearTimeout(timer);
        resolve(!this.#broken);
      });
    });
  }

  #isIdle(): boolean {
    return this.#broken || (this.#inFlight === null && this.#queue.length === 0);
  }

  #drop(lines: number): void {
    this.#droppedTotal += lines;
    this.#droppedUnreported += lines;
  }

  #pump(): void {
    if (this.#inFlight !== null || this.#retrying || this.#broken || this.#queue.length === 0) return;
    let text = '';
    let lines = 0;
    let bytes = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as string;
      const size = Buffer.byteLength(next);
      if (lines > 0 && bytes + size > MAX_CHUNK_BYTES) break;
      this.#queue.shift();
      text += next;
      lines += 1;
      bytes += size;
    }
    this.#queuedBytes -= bytes;
    this.#inFlight = { text, lines };
    this.#inFlightBytes = bytes;
    this.#writer.write(text, (error) => this.#written(error));
    this.#flushIfFull();
  }

  #written(error: NodeJS.ErrnoException | null | undefined): void {
    const chunk = this.#inFlight;
    this.#inFlight = null;
    this.#inFlightBytes = 0;
    if (chunk === null) return;
    if (error) {
      this.#drop(chunk.lines);
      if (FATAL_CODES.has(error.code ?? '')) {
        this.#broken = true;
        this.#drop(this.#queue.length);
        this.#queue.length = 0;
        this.#queuedBytes = 0;
        return this.#wakeIdle();
      }
      // A full disk may get space again; do not spin on it meanwhile.
      this.#retrying = true;
      this.#clock.setTimeout(() => {
        this.#retrying = false;
        this.#pump();
      }, RETRY_AFTER_ERROR_MS);
      return;
    }
    if (this.#queue.length === 0 && this.#droppedUnreported > 0) {
      const dropped = this.#droppedUnreported;
      this.#droppedUnreported = 0;
      this.#onRecovered?.(dropped);
    }
    this.#pump();
    if (this.#isIdle()) this.#wakeIdle();
  }

  #wakeIdle(): void {
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}
