import { type ErrorCode, errorFrame, type ServerFrame } from '../../shared/protocol/index.js';
import type { PeerLink } from '../sessions/connection.js';

/** A peer link for tests: records every frame it is given until closed, by id `l<n>`. */
export class RecordingLink implements PeerLink {
  static next = 0;
  readonly id = `l${++RecordingLink.next}`;
  readonly frames: ServerFrame[] = [];
  closed = false;
  send(frame: ServerFrame) {
    if (!this.closed) this.frames.push(frame);
  }
  sendText(text: string) {
    if (!this.closed) this.frames.push(JSON.parse(text) as ServerFrame);
  }
  sendError(code: ErrorCode, sessionId: string | null) {
    this.send(errorFrame(code, sessionId));
    return true;
  }
  close() {
    this.closed = true;
  }
}
