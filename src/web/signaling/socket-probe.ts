import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { SocketLike } from './signal-client.js';

export interface SocketProbeOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  clock: Clock;
  /** Not open within this long: a failure. */
  timeoutMs: number;
  /** The probe is open (it can take the old socket's place). */
  onOpen(): void;
  /** It closed, errored or timed out before anyone took it; it is closed by then. */
  onFail(): void;
}

/**
 * A second socket opened beside a joined one that missed its pong deadline (docs/protocol.md,
 * "Liveness"). It only watches for open or failure; the signal client decides what wins: an
 * answer on the old socket cancels the probe, an open probe is taken and joins in its place.
 */
export class SocketProbe {
  readonly #socket: SocketLike;
  readonly #o: SocketProbeOptions;
  #timer: TimerHandle | null;
  #done = false;

  constructor(options: SocketProbeOptions) {
    this.#o = options;
    const socket = options.createSocket(options.url);
    this.#socket = socket;
    socket.onopen = () => !this.#done && options.onOpen();
    socket.onclose = () => this.#fail();
    socket.onerror = () => {
      // A close event always follows.
    };
    this.#timer = options.clock.setTimeout(() => {
      this.#timer = null;
      this.#fail();
    }, options.timeoutMs);
  }

  /** Stops watching and hands the socket over (open, or still opening). */
  take(): SocketLike {
    this.#done = true;
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
    const s = this.#socket;
    s.onopen = s.onclose = s.onerror = s.onmessage = null;
    return s;
  }

  /** Closes it unused. */
  cancel(reason: string): void {
    if (this.#done) return;
    this.take().close(1000, reason);
  }

  #fail(): void {
    if (this.#done) return;
    this.cancel('no answer');
    this.#o.onFail();
  }
}
