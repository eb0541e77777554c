// Raw WebSocket frames for the fuzz tier (reliability.md F9): a client frame writer that can
// lie (any FIN/RSV/opcode, mask or not, a declared length that differs from the payload, a
// non-minimal length encoding), a strict reader of the server's frames, and a wss connection
// upgraded by hand so that nothing between the test and the server fixes the bytes up.
import { randomBytes } from 'node:crypto';
import { type TLSSocket, connect } from 'node:tls';

/** One client frame as written on the wire, honest or not. */
export interface RawFrame {
  fin: boolean;
  /** RSV1..RSV3 as a 3-bit number. */
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
  /** The length the header claims; the payload's own length when absent. */
  declaredLength?: bigint;
  /** The length field's form: the shortest that fits (RFC 6455), or forced 16- or 64-bit. */
  lengthForm?: 'minimal' | '16' | '64';
}

export const Opcode = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** A well-formed, masked client frame. */
export function frame(opcode: number, payload: Uint8Array, fin = true): RawFrame {
  return { fin, rsv: 0, opcode, masked: true, payload };
}

export function textFrame(text: string): RawFrame {
  return frame(Opcode.TEXT, Buffer.from(text, 'utf8'));
}

export function closePayload(code: number, reason = ''): Buffer {
  const reasonBytes = Buffer.from(reason, 'utf8');
  const out = Buffer.alloc(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  reasonBytes.copy(out, 2);
  return out;
}

/** The bytes of a frame, exactly as described (lies included). */
export function encodeFrame(f: RawFrame): Buffer {
  const declared = f.declaredLength ?? BigInt(f.payload.length);
  const form = f.lengthForm ?? 'minimal';
  const use64 = form === '64' || (form === 'minimal' && declared > 0xffffn);
  const use16 = !use64 && (form === '16' || (form === 'minimal' && declared > 125n));
  const header = Buffer.alloc(2 + (use64 ? 8 : use16 ? 2 : 0) + (f.masked ? 4 : 0));
  header[0] = (f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f);
  const len7 = use64 ? 127 : use16 ? 126 : Number(declared & 0x7fn);
  header[1] = (f.masked ? 0x80 : 0) | len7;
  let at = 2;
  if (use64) {
    header.writeBigUInt64BE(declared & 0xffff_ffff_ffff_ffffn, at);
    at += 8;
  } else if (use16) {
    header.writeUInt16BE(Number(declared & 0xffffn), at);
    at += 2;
  }
  const body = Buffer.from(f.payload);
  if (f.masked) {
    const key = randomBytes(4);
    key.copy(header, at);
    for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number);
  }
  return Buffer.concat([header, body]);
}

/** A frame the server sent. */
export interface ServerWireFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Splits the server's bytes into frames; `rest` is an incomplete frame at the end, if any. */
export function decodeFrames(bytes: Buffer): { frames: ServerWireFrame[]; rest: Buffer } {
  const frames: ServerWireFrame[] = [];
  let at = 0;
  while (bytes.length - at >= 2) {
    const b0 = bytes[at] as number;
    const b1 = bytes[at + 1] as number;
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (bytes.length - at < 4) break;
      len = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (bytes.length - at < 10) break;
      const big = bytes.readBigUInt64BE(at + 2);
      // The server never sends anything near this; treat it as a malformed frame.
      len = big > 0xffff_ffffn ? Number.MAX_SAFE_INTEGER : Number(big);
      head = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) head += 4;
    if (bytes.length - at < head + len) break;
    let payload = bytes.subarray(at + head, at + head + len);
    if (masked) {
      const key = bytes.subarray(at + head - 4, at + head);
      payload = Buffer.from(payload.map((byte, i) => byte ^ (key[i & 3] as number)));
    }
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
    at += head + len;
  }
  return { frames, rest: bytes.subarray(at) };
}

/** What a raw connection saw from the server, once it is over. */
export interface RawOutcome {
  /** Every byte after the 101 response. */
  received: Buffer;
  /** The server ended or reset the connection (rather than the test giving up on it). */
  serverEnded: boolean;
  error: string | null;
}

/** A wss connection upgraded by hand on 127.0.0.1: raw bytes out, raw bytes in. */
export class RawWsConnection {
  readonly #socket: TLSSocket;
  readonly #chunks: Buffer[] = [];
  #serverEnded = false;
  #error: string | null = null;
  readonly #ended: Promise<void>;

  private constructor(socket: TLSSocket, head: Buffer) {
    this.#socket = socket;
    if (head.length > 0) this.#chunks.push(head);
    socket.on('data', (chunk: Buffer) => this.#chunks.push(chunk));
    this.#ended = new Promise((resolve) => {
      socket.once('end', () => {
        this.#serverEnded = true;
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        // A reset after the server's close (it destroys sockets with unread input) is an end too.
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.#serverEnded = true;
        else this.#error = error.message;
      });
      socket.once('close', () => resolve());
    });
  }

  /** Opens TLS to 127.0.0.1:`port`, sends the upgrade and waits (bounded) for its 101. */
  static open(port: number, ms = 30_000): Promise<RawWsConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no 101 within ${ms} ms`));
      }, ms);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101 ')) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${status}`));
        }
        resolve(new RawWsConnection(socket, head.subarray(end + 4)));
      };
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.on('data', onData);
      socket.on('error', onError);
      socket.once('secureConnect', () => {
        const key = randomBytes(16).toString('base64');
        socket.write(
          `GET /signal HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  write(bytes: Buffer): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(bytes);
  }

  /** Waits until the server closes the connection, or `ms`; then it is closed from here. */
  async finish(ms: number): Promise<RawOutcome> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    this.#socket.destroy();
    await this.#ended;
    return { received: Buffer.concat(this.#chunks), serverEnded: this.#serverEnded, error: this.#error };
  }
}
