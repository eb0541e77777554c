import type { Clock } from '../../shared/clock.js';
import type { MessageKey } from '../i18n/i18n.js';
import type { Tone } from './call-machine.js';

export interface Toast {
  id: number;
  key: MessageKey;
  tone: Tone;
}

export const TOAST_MS = 5_000;
export const MAX_TOASTS = 3;

export interface ToastListOptions {
  onChange(): void;
  clock: Clock;
}

/** A short list of status messages; the same message is not stacked twice. */
export class ToastList {
  #items: Toast[] = [];
  #next = 1;
  readonly #o: ToastListOptions;

  constructor(options: ToastListOptions) {
    this.#o = options;
  }

  get items(): readonly Toast[] {
    return this.#items;
  }

  show(key: MessageKey, tone: Tone = 'info', ms = TOAST_MS): void {
    this.#items = [...this.#items.filter((t) => t.key !== key), { id: this.#next++, key, tone }].slice(-MAX_TOASTS);
    const id = this.#next - 1;
    this.#o.clock.setTimeout(() => this.dismiss(id), ms);
    this.#o.onChange();
  }

  dismiss(id: number): void {
    const before = this.#items.length;
    this.#items = this.#items.filter((t) => t.id !== id);
    if (this.#items.length !== before) this.#o.onChange();
  }
}
