import type { Clock, TimerHandle } from '../../shared/clock.js';

/**
 * The answerer gives a disconnected ICE link this long to recover by itself before it restarts
 * ICE; the offerer restarts at once (one side first, so the two restarts rarely cross).
 */
export const DISCONNECTED_RESTART_MS = 2_500;
/**
 * Negotiation finished but ICE never connected (seen after offer glare at set-up, where
 * Chromium can leave ICE in "new"): restart ICE once this long after reaching "stable".
 */
export const CONNECT_WATCHDOG_MS = 8_000;

export interface IceRestartPolicyOptions {
  clock: Clock;
  /**
   * This side made the first offer: on 'disconnected' it restarts at once. A network change
   * (one home's new public address) shows first as 'disconnected', and waiting only delays the
   * new path; the other side waits, so usually one restart, not two crossing, renews the path.
   */
  offerer: boolean;
  /** Starts an ICE restart. */
  restart(): void;
  /** The current connection's state, read when the disconnected grace period ends. */
  connectionState(): RTCPeerConnectionState;
  /** What the call shows: the media link is up, or interrupted while ICE recovers. */
  onLink(link: 'connected' | 'interrupted'): void;
}

/**
 * When to restart ICE, as a pure function of connection-state changes and time: at once when
 * the link failed; when it is disconnected, at once on the offerer and after
 * DISCONNECTED_RESTART_MS on the answerer (if still disconnected then); and after
 * CONNECT_WATCHDOG_MS when negotiation settled but ICE never got going.
 */
export class IceRestartPolicy {
  readonly #o: IceRestartPolicyOptions;
  #restartTimer: TimerHandle | null = null;
  #watchdog: TimerHandle | null = null;

  constructor(options: IceRestartPolicyOptions) {
    this.#o = options;
  }

  /** The connection's state changed. */
  connectionStateChanged(state: RTCPeerConnectionState): void {
    if (state === 'connected') {
      this.stop();
      this.#o.onLink('connected');
    } else if (state === 'disconnected') {
      this.#o.onLink('interrupted');
      this.stop();
      if (this.#o.offerer) {
        this.#o.restart();
        return;
      }
      this.#restartTimer = this.#o.clock.setTimeout(() => {
        this.#restartTimer = null;
        if (this.#o.connectionState() === 'disconnected') this.#o.restart();
      }, DISCONNECTED_RESTART_MS);
    } else if (state === 'failed') {
      this.#o.onLink('interrupted');
      this.#o.restart();
    }
  }

  /**
   * Negotiation reached "stable" while the link is not connected: unless it connects (or
   * `stillConnecting` says it no longer needs help), restart after CONNECT_WATCHDOG_MS. One
   * watchdog at a time.
   */
  negotiationSettled(isConnected: boolean, stillConnecting: () => boolean): void {
    if (this.#watchdog !== null || isConnected) return;
    this.#watchdog = this.#o.clock.setTimeout(() => {
      this.#watchdog = null;
      if (stillConnecting()) this.#o.restart();
    }, CONNECT_WATCHDOG_MS);
  }

  /** Cancels both pending restarts (connected again, or closed). */
  stop(): void {
    if (this.#restartTimer !== null) this.#o.clock.clearTimeout(this.#restartTimer);
    if (this.#watchdog !== null) this.#o.clock.clearTimeout(this.#watchdog);
    this.#restartTimer = this.#watchdog = null;
  }
}
