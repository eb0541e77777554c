import { CHANNEL_HEADER_BYTES, ChannelRange, HEADER_BYTES, MAGIC_COOKIE } from './stun-protocol.js';

/** A ChannelData message (RFC 8656 §12.4): channel number, then the application data. */
export interface ChannelData {
  readonly channel: number;
  readonly data: Buffer;
}

/** True when the first two bits are 01, i.e. a ChannelData message rather than STUN (00). */
export function looksLikeChannelData(bytes: Uint8Array): boolean {
  return bytes.length >= CHANNEL_HEADER_BYTES && ((bytes[0] ?? 0) & 0xc0) === 0x40;
}

/** Decodes ChannelData; trailing padding (up to the next multiple of 4) is allowed. Null when malformed. */
export function decodeChannelData(bytes: Buffer): ChannelData | null {
  if (!looksLikeChannelData(bytes)) return null;
  const channel = bytes.readUInt16BE(0);
  if (channel < ChannelRange.min || channel > ChannelRange.max) return null;
  const length = bytes.readUInt16BE(2);
  const end = CHANNEL_HEADER_BYTES + length;
  if (end > bytes.length || bytes.length > ((end + 3) & ~3)) return null;
  return { channel, data: bytes.subarray(CHANNEL_HEADER_BYTES, end) };
}

/** Encodes ChannelData; over a stream (TCP, TLS) it is padded to a multiple of 4 (RFC 8656 §12.5). */
export function encodeChannelData(channel: number, data: Buffer, options: { pad?: boolean } = {}): Buffer {
  if (channel < ChannelRange.min || channel > ChannelRange.max) throw new RangeError('channel out of range');
  if (data.length > 0xffff) throw new RangeError('channel data too long');
  const size = CHANNEL_HEADER_BYTES + data.length;
  // Every byte is written below (header, data, zero padding): no need to zero it first.
  const out = Buffer.allocUnsafe(options.pad === true ? (size + 3) & ~3 : size);
  out.writeUInt16BE(channel, 0);
  out.writeUInt16BE(data.length, 2);
  data.copy(out, CHANNEL_HEADER_BYTES);
  out.fill(0, size);
  return out;
}

/** Why a byte stream cannot be framed as STUN / ChannelData any more. */
export type FramingError = 'not-stun-or-channeldata' | 'bad-stun-length' | 'bad-magic-cookie';

/**
 * Splits a TCP/TLS byte stream into whole STUN and ChannelData messages (RFC 8656 §12.5,
 * RFC 4571-style: each message carries its own length). `rest` holds an incomplete tail.
 */
export function frameStream(bytes: Buffer): { messages: Buffer[]; rest: Buffer; error?: FramingError } {
  const messages: Buffer[] = [];
  let at = 0;
  while (bytes.length - at >= CHANNEL_HEADER_BYTES) {
    const first = bytes[at] ?? 0;
    const length = bytes.readUInt16BE(at + 2);
    let size: number;
    if ((first & 0xc0) === 0x40) size = (CHANNEL_HEADER_BYTES + length + 3) & ~3;
    else if ((first & 0xc0) === 0) {
      if ((length & 3) !== 0) return { messages, rest: bytes.subarray(at), error: 'bad-stun-length' };
      if (bytes.length - at >= 8 && bytes.readUInt32BE(at + 4) !== MAGIC_COOKIE) {
        return { messages, rest: bytes.subarray(at), error: 'bad-magic-cookie' };
      }
      size = HEADER_BYTES + length;
    } else return { messages, rest: bytes.subarray(at), error: 'not-stun-or-channeldata' };
    if (bytes.length - at < size) break;
    messages.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { messages, rest: bytes.subarray(at) };
}
