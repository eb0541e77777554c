import type { Clock } from '../../shared/clock.js';
import type { CallView } from './controller-types.js';

/** What the gate reads of the controller. */
export interface GateSource {
  readonly view: CallView;
  readonly isInCall: boolean;
  subscribe(cb: () => void): () => void;
}

export interface FirstRenderGateOptions {
  source: GateSource;
  clock: Clock;
  /** The longest the UI waits: a permission prompt or a slow peer must not leave the page blank. */
  capMs: number;
}

/**
 * When the UI's chunk may load on a page that opened a call link. Evaluating and rendering the
 * UI holds the page's main thread for tens of milliseconds, and two steps on every call's
 * critical path need that thread too: the camera's start, and, when the other person is already
 * there, our first offer or answer (on the joining page the UI's first render landed between
 * the offer's arrival and our answer, issue 11). So the gate opens once the camera is open or
 * has failed and, with the other person present, our first description has gone out; `capMs`
 * after it was made at the latest, and at once outside a call.
 */
export class FirstRenderGate {
  readonly opened: Promise<void>;
  #described = false;
  #check: () => void = () => {};

  constructor(o: FirstRenderGateOptions) {
    this.opened = new Promise<void>((resolve) => {
      if (!o.source.isInCall) {
        resolve();
        return;
      }
      let unsubscribe = () => {};
      const timer = o.clock.setTimeout(() => open(), o.capMs);
      const open = () => {
        o.clock.clearTimeout(timer);
        unsubscribe();
        this.#check = () => {};
        resolve();
      };
      this.#check = () => {
        if (!o.source.isInCall) return open();
        const v = o.source.view;
        const cameraSettled = v.local !== null || v.mediaError !== null;
        const peerPresent = v.state.kind === 'call' && v.state.peer === 'present';
        if (cameraSettled && (!peerPresent || this.#described)) open();
      };
      unsubscribe = o.source.subscribe(() => this.#check());
      this.#check();
    });
  }

  /** Our first offer or answer has been handed to the signalling socket. */
  described(): void {
    this.#described = true;
    this.#check();
  }
}
