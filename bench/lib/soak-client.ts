/** A small signalling client for the soak: a frame inbox with bounded waits, TLS sessions resumed. */
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';

export interface Frame {
  type: string;
  /** When it arrived (performance.now()), not part of the wire frame. */
  receivedAt: number;
  [key: string]: unknown;
}

/** Shared by every client of one run: a browser's wss handshake resumes the page's TLS session. */
export class TlsSessions {
  #session: Buffer | undefined;

  connect = (options: ConnectionOptions & { path?: string }) => {
    options.path = undefined;
    options.servername = '';
    const socket = tlsConnect({ ...options, rejectUnauthorized: false, session: this.#session });
    socket.once('session', (session: Buffer) => {
      this.#session = session;
    });
    return socket;
  };
}

export class SoakClient {
  readonly #frames: Frame[] = [];
  #wake: (() => void) | null = null;
  closeCode: number | null = null;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const receivedAt = performance.now();
      try {
        this.#frames.push({ ...(JSON.parse(data.toString()) as { type: string }), receivedAt });
      } catch {
        this.#frames.push({ type: '<not json>', receivedAt });
      }
      this.#notify();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code) => {
        this.closeCode = code;
        this.#notify();
        resolve(code);
      });
    });
  }

  static open(url: string, tls: TlsSessions, ms: number): Promise<SoakClient> {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      createConnection: tls.connect,
    } as WebSocket.ClientOptions);
    const client = new SoakClient(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('upgrade timed out'));
      }, ms);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        res.resume();
        ws.terminate();
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
      ws.once('close', () => {
        clearTimeout(timer);
        reject(new Error('closed before the upgrade'));
      });
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  send(frame: { type: string; [key: string]: unknown }): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** The next frame (of `type`, when given: anything else first is an error), within `ms`. */
  async next(type: string, ms: number): Promise<Frame> {
    const deadline = performance.now() + ms;
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) {
        if (frame.type !== type)
          throw new Error(`expected ${type}, got ${frame.type}${frame.code ? ` ${frame.code}` : ''}`);
        return frame;
      }
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting for ${type}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${type} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Waits (bounded) for the close; terminates the socket if it does not come. */
  async waitClose(ms: number): Promise<number | null> {
    if (this.closeCode !== null) return this.closeCode;
    const timer = setTimeout(() => this.ws.terminate(), ms);
    const code = await this.closed;
    clearTimeout(timer);
    return code;
  }
}
