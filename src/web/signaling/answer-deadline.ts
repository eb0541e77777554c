/** How the liveness deadline moves (docs/protocol.md, "Liveness"). */
export interface AnswerDeadlineOptions {
  /** The deadline of a server that answers promptly. */
  baseMs: number;
  /** The longest it grows to for a server that keeps answering late. */
  maxMs: number;
}

/**
 * The client's wait for an answer to its ping, adaptive: it starts at `baseMs`; each time the
 * old socket answers after all, once the deadline had passed (the server was busy, not gone),
 * the next wait is twice as long, up to `maxMs`; each prompt answer (within `baseMs`) halves it
 * back toward `baseMs`. So a server that is slow for a while costs at most a few probes, never
 * a probe at every ping, and a quiet network is still noticed quickly.
 */
export class AnswerDeadline {
  readonly #o: AnswerDeadlineOptions;
  #ms: number;

  constructor(options: AnswerDeadlineOptions) {
    this.#o = options;
    this.#ms = options.baseMs;
  }

  /** The wait for the next unanswered ping. */
  get ms(): number {
    return this.#ms;
  }

  /** An answer came `elapsedMs` after the ping it answers. */
  answered(elapsedMs: number): void {
    if (elapsedMs < this.#o.baseMs) this.#ms = Math.max(this.#o.baseMs, this.#ms / 2);
  }

  /** The deadline passed, yet the same socket answered afterwards: we gave up too early. */
  answeredLate(): void {
    this.#ms = Math.min(this.#o.maxMs, this.#ms * 2);
  }
}
