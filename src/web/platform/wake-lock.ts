/** The part of `navigator.wakeLock` used here, so the adapter can be built from a fake. */
export interface WakeLockApi {
  request(type: 'screen'): Promise<WakeLockSentinel>;
}

export interface ScreenWakeLockOptions {
  /** Absent where the browser has no Screen Wake Lock API: then this adapter does nothing. */
  api: WakeLockApi | undefined;
  isVisible(): boolean;
}

/**
 * Keeps the screen on during a call. The browser drops the lock whenever the page is hidden, so
 * `pageVisible` takes it again if the call still wants it.
 */
export class ScreenWakeLock {
  readonly #o: ScreenWakeLockOptions;
  #sentinel: WakeLockSentinel | null = null;
  #wanted = false;

  constructor(options: ScreenWakeLockOptions) {
    this.#o = options;
  }

  async set(on: boolean): Promise<void> {
    this.#wanted = on;
    if (!on) {
      await this.#sentinel?.release().catch(() => {});
      this.#sentinel = null;
    } else if (!this.#sentinel && this.#o.api && this.#o.isVisible()) {
      const sentinel = await this.#o.api.request('screen').catch(() => null);
      this.#sentinel = sentinel;
      sentinel?.addEventListener('release', () => {
        this.#sentinel = null;
      });
    }
  }

  /** The page became visible again. */
  pageVisible(): void {
    if (this.#wanted) void this.set(true);
  }
}
