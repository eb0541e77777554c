import { type ErrorCode, errorFrame, type ServerFrame } from '../../shared/protocol/index.js';
import type { PeerLink } from '../sessions/connection.js';

/**
 * A peer link for tests, by id `l<n>`: records every frame it is given until closed, as a socket
 * delivers them, or with `recordAfterClose` also what the service still tries to send to a
 * closing socket (what a unit test of the service's replies wants to see).
 */
export class RecordingLink implements PeerLink {
  static next = 0;
  readonly id = `l${++RecordingLink.next}`;
  readonly frames: ServerFrame[] = [];
  closed = false;
  /** The close code of the first close, if any. */
  closeCode: number | null = null;
  readonly #recordAfterClose: boolean;

  constructor(opts: { recordAfterClose?: boolean } = {}) {
    this.#recordAfterClose = opts.recordAfterClose ?? false;
  }

  send(frame: ServerFrame) {
    if (!this.closed || this.#recordAfterClose) this.frames.push(frame);
  }
  sendText(text: string) {
    this.send(JSON.parse(text) as ServerFrame);
  }
  sendError(code: ErrorCode, sessionId: string | null) {
    this.send(errorFrame(code, sessionId));
    return true;
  }
  /** The service closes with a code; a test that drops the socket itself may give none. */
  close(code?: number) {
    this.closed = true;
    if (code !== undefined) this.closeCode ??= code;
  }
  /** Takes the frames received so far. */
  take(): ServerFrame[] {
    return this.frames.splice(0);
  }
  /** Takes the frames received so far, each as its type (`peer:<state>`, `error:<code>`). */
  types(): string[] {
    return this.take().map((f) =>
      f.type === 'peer' ? `peer:${f.state}` : f.type === 'error' ? `error:${f.code}` : f.type,
    );
  }
}
