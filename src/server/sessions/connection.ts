import type { CloseCode, ErrorCode, ServerFrame } from '../../shared/protocol/index.js';
import type { Seat } from './session-registry.js';
import type { SessionHandle } from './session-port.js';

/** What the session layer sees of a socket (style.md §2: never a WebSocket). */
export interface PeerLink {
  readonly id: string;
  send(frame: ServerFrame): void;
  /** Sends an already serialised frame (relayed and queued frames). */
  sendText(text: string): void;
  /**
   * Sends an `error` frame. `throttled` errors answer garbage and are rate-limited by the
   * transport, so a flood of bad frames cannot be amplified into a flood of replies.
   * Returns whether the frame was sent (a throttled one may not be). Callers use sendError().
   */
  sendError(code: ErrorCode, sessionId: string | null, throttled: boolean): boolean;
  close(code: CloseCode, reason: string): void;
}

/** One socket's standing; only a joined socket holds a seat. */
export type ConnectionState =
  /** Upgraded, no join handled yet (rule 4). */
  | { readonly kind: 'new' }
  | { readonly kind: 'joined'; readonly seat: Seat }
  /** Its context was ended (hangup, timeout, lifetime); later frames get SESSION_ENDED. */
  | { readonly kind: 'ended' }
  /** A resume of its place from another socket superseded it (rule 2). */
  | { readonly kind: 'replaced' }
  /** Closed, or refused and closing: nothing it sends is acted on. */
  | { readonly kind: 'closed' };

/** The states without a seat: one object each for all sockets. */
const STATES: { readonly [K in Exclude<ConnectionState['kind'], 'joined'>]: ConnectionState } = {
  new: Object.freeze({ kind: 'new' }),
  ended: Object.freeze({ kind: 'ended' }),
  replaced: Object.freeze({ kind: 'replaced' }),
  closed: Object.freeze({ kind: 'closed' }),
};
/** The tail of every socket's chain while none of its steps is in flight: one promise for all. */
const SETTLED: Promise<void> = Promise.resolve();

/** One socket's standing in the session layer. */
export class Connection implements SessionHandle {
  /**
   * The kind of its state, and its seat while joined: two fields of this object, so a joined
   * socket keeps no state object of its own (`state` reads and writes them as one value).
   */
  #kind: ConnectionState['kind'] = 'new';
  #seat: Seat | null = null;
  /**
   * Frames of one socket are handled one after another, in arrival order. Once nothing is in
   * flight it is the shared settled promise again, so a waiting socket keeps no promise of its own.
   */
  chain: Promise<void> = SETTLED;
  /** Asynchronous steps of this socket not yet settled; while any is, new frames queue on `chain`. */
  inFlight = 0;
  /**
   * Until the handshake reply and the queue are out, frames relayed to this socket wait here,
   * so nothing overtakes `joined` or an older queued frame.
   */
  pending: string[] | null = [];

  constructor(readonly link: PeerLink) {}

  /** What the socket's state is; changed only through `state`. */
  get kind(): ConnectionState['kind'] {
    return this.#kind;
  }

  get state(): ConnectionState {
    return this.#kind === 'joined' ? { kind: 'joined', seat: this.#seat as Seat } : STATES[this.#kind];
  }

  set state(state: ConnectionState) {
    this.#kind = state.kind;
    this.#seat = state.kind === 'joined' ? state.seat : null;
  }

  get isJoined(): boolean {
    return this.#kind !== 'new';
  }

  /** The seat while joined, else null. */
  get seat(): Seat | null {
    return this.#seat;
  }

  get sessionId(): string | null {
    return this.seat?.sessionId ?? null;
  }

  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * Runs `step` after every earlier step of this socket. With nothing in flight it runs at
   * once, so a relay through a registry that answers synchronously costs no promise hop.
   */
  run(step: () => void | Promise<void>, onError: (error: unknown) => void): void {
    if (this.inFlight > 0) return this.#track(this.chain.then(step), onError);
    let result: void | Promise<void>;
    try {
      result = step();
    } catch (error) {
      return onError(error);
    }
    if (result instanceof Promise) this.#track(result, onError);
  }

  /** Runs `step` after every earlier step of this socket, never synchronously. */
  runAfter(step: () => void | Promise<void>, onError: (error: unknown) => void): void {
    this.#track(this.chain.then(step), onError);
  }

  /** Makes `step` the tail of the socket's chain until it settles. */
  #track(step: Promise<void>, onError: (error: unknown) => void): void {
    this.inFlight += 1;
    this.chain = step.then(
      () => {
        if (--this.inFlight === 0) this.chain = SETTLED;
      },
      (error: unknown) => {
        if (--this.inFlight === 0) this.chain = SETTLED;
        onError(error);
      },
    );
  }

  deliver(text: string): void {
    if (this.pending === null) this.link.sendText(text);
    else this.pending.push(text);
  }

  /** Opens delivery after the handshake reply and the queue were sent. */
  open(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) for (const text of pending) this.link.sendText(text);
  }
}
