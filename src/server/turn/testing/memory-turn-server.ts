import type { TurnClient } from '../allocation-table.js';
import { createTurnCore, type TurnCore, type TurnServerOptions } from '../turn-core.js';
import type { TurnCredentials } from '../turn-credentials.js';

/**
 * The TURN server's core (turn-core.ts, the same wiring TurnServer listens around) with no
 * socket: a test hands it messages from in-memory clients (MemoryClient) and reads their inboxes.
 */
export class MemoryTurnServer {
  readonly credentials: TurnCredentials;
  readonly #core: TurnCore;

  constructor(options: TurnServerOptions) {
    this.#core = createTurnCore(options, () => {});
    this.credentials = this.#core.credentials;
  }

  /** Handles one message from `client`, as a transport hands it over. */
  handle(bytes: Buffer, client: TurnClient): void {
    this.#core.handler.handle(bytes, client);
  }

  /** Live allocations. */
  get allocations(): number {
    return this.#core.allocations.size;
  }
}
