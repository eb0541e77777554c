import type { IncomingMessage } from 'node:http';
import { type ClientOptions, WebSocket } from 'ws';

/** A frame as received: parsed JSON text. */
export interface Frame {
  type: string;
  sessionId?: string | null;
  [key: string]: unknown;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

const DEFAULT_WAIT_MS = 5000;
const clients = new Set<TestClient>();

/**
 * A real `ws` client over TLS that records every frame and the close code, with bounded waits.
 * The message listener is attached before the socket opens, so no early frame is missed.
 */
export class TestClient {
  readonly ws: WebSocket;
  /** Every text frame received, parsed (unparsable text is kept as `{ type: '<not json>' }`). */
  readonly frames: Frame[] = [];
  /** Every frame as raw text. */
  readonly raw: string[] = [];
  readonly binaryFrames: Buffer[] = [];
  readonly errors: Error[] = [];
  closeInfo: CloseInfo | null = null;
  readonly closed: Promise<CloseInfo>;
  private cursor = 0;
  private wake: Array<() => void> = [];

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false, ...options });
    clients.add(this);
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binaryFrames.push(Buffer.from(data as Buffer));
      } else {
        const text = data.toString();
        this.raw.push(text);
        try {
          this.frames.push(JSON.parse(text) as Frame);
        } catch {
          this.frames.push({ type: '<not json>', text });
        }
      }
      this.notify();
    });
    this.ws.on('error', (error) => {
      this.errors.push(error);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        clients.delete(this);
        this.notify();
        resolve(this.closeInfo);
      });
    });
  }

  private notify() {
    for (const w of this.wake.splice(0)) w();
  }

  private waitChange(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = this.wake.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.wake.push(done);
    });
  }

  /** Opens a client and waits (bounded) for the upgrade. */
  static async connect(url: string, options: ClientOptions = {}, ms = DEFAULT_WAIT_MS): Promise<TestClient> {
    const c = new TestClient(url, options);
    await c.opened(ms);
    return c;
  }

  opened(ms = DEFAULT_WAIT_MS): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no upgrade within ${ms} ms`)), ms);
      this.ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
        res.resume();
        this.ws.terminate();
      });
      this.ws.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`socket closed before the upgrade: ${this.errors.map((e) => e.message).join('; ')}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Frames received but not yet consumed by `next`. */
  pending(): Frame[] {
    return this.frames.slice(this.cursor);
  }

  /** Sends an object as JSON, or a string as is. */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  sendBinary(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  /**
   * The next frame in arrival order; rejects after `ms`, or when it is not of `type`
   * (so an unexpected frame fails the test instead of being skipped).
   */
  async next(type?: string, ms = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.frames.length <= this.cursor) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${type ?? ''} frame within ${ms} ms (closed: ${JSON.stringify(this.closeInfo)})`);
      }
      await this.waitChange(left);
    }
    const frame = this.frames[this.cursor++] as Frame;
    if (type !== undefined && frame.type !== type) {
      throw new Error(`expected a ${type} frame, got ${JSON.stringify(frame).slice(0, 300)}`);
    }
    return frame;
  }

  /** Waits (bounded) for the close and returns its code and reason. */
  async waitClose(ms = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    if (this.closeInfo) return this.closeInfo;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `join` and returns the `joined` frame. */
  async join(sessionId: string, resume?: string): Promise<Frame> {
    this.send(resume === undefined ? { type: 'join', sessionId } : { type: 'join', sessionId, resume });
    return this.next('joined');
  }

  /** A clean close with a close frame (rule 6: frees the place). */
  close(code = 1000): void {
    this.ws.close(code);
  }

  /** An abrupt drop: the TCP socket is destroyed, no close frame (rule 6: the place is held). */
  drop(): void {
    const socket = (this.ws as unknown as { _socket?: { destroy(): void } })._socket;
    if (socket) socket.destroy();
    else this.ws.terminate();
  }
}

export interface UpgradeResult {
  /** HTTP status when the upgrade was refused; 101 when it was accepted. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Set when the connection failed without any HTTP response. */
  error?: string;
}

/** Attempts one upgrade and reports the HTTP status (101 when accepted); the socket is closed at once. */
export function tryUpgrade(url: string, options: ClientOptions = {}, ms = DEFAULT_WAIT_MS): Promise<UpgradeResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false, ...options });
    let settled = false;
    const finish = (r: UpgradeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      finish({ status: 0, headers: {}, error: 'timeout' });
    }, ms);
    ws.on('error', (e) => finish({ status: 0, headers: {}, error: e.message }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      res.resume();
      finish({ status: res.statusCode ?? 0, headers: res.headers });
      ws.terminate();
    });
    ws.once('upgrade', (res: IncomingMessage) => {
      finish({ status: 101, headers: res.headers });
    });
    ws.once('open', () => ws.terminate());
  });
}

/** Terminates every client still open; call from `afterEach`. */
export async function closeAllClients(): Promise<void> {
  const open = [...clients];
  for (const c of open) c.ws.terminate();
  await Promise.allSettled(open.map((c) => c.waitClose(2000)));
}
