import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  FINGERPRINT_XOR,
  HEADER_BYTES,
  INTEGRITY_BYTES,
  MAGIC_COOKIE,
  STUN_ERROR_REASONS,
  StunAttr,
  type StunClass,
  type StunError,
  TRANSACTION_ID_BYTES,
} from './stun-protocol.js';

/** One attribute as it was on the wire: its type, its unpadded value and where it started. */
export interface StunAttribute {
  readonly type: number;
  readonly value: Buffer;
  readonly offset: number;
}

/** A decoded STUN message. `raw` is exactly the message's bytes (header + Length). */
export interface StunMessage {
  readonly method: number;
  readonly cls: StunClass;
  readonly transactionId: Buffer;
  readonly raw: Buffer;
  /** Attributes up to MESSAGE-INTEGRITY / FINGERPRINT included; anything after them is ignored. */
  readonly attributes: readonly StunAttribute[];
  /** Offset of MESSAGE-INTEGRITY, -1 when absent. */
  readonly integrityAt: number;
  /** Offset of FINGERPRINT, -1 when absent. */
  readonly fingerprintAt: number;
}

/** An attribute to encode; a string value is UTF-8. */
export interface OutAttribute {
  readonly type: number;
  readonly value: Buffer | string;
}

export interface OutMessage {
  readonly method: number;
  readonly cls: StunClass;
  readonly transactionId: Buffer;
  readonly attributes?: readonly OutAttribute[];
}

/** A hostile message cannot make the decoder walk more than this many attributes. */
const MAX_ATTRIBUTES = 64;

const pad4 = (n: number) => (n + 3) & ~3;

/** The 14-bit message type of a method and class (RFC 8489 §5: class bits interleaved). */
function messageType(method: number, cls: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

/** True when the first bytes look like a STUN message header (top bits 00 and the cookie). */
function looksLikeStun(bytes: Uint8Array): boolean {
  return (
    bytes.length >= HEADER_BYTES &&
    ((bytes[0] ?? 0xff) & 0xc0) === 0 &&
    Buffer.from(bytes.buffer, bytes.byteOffset, 8).readUInt32BE(4) === MAGIC_COOKIE
  );
}

/**
 * Decodes one STUN message occupying exactly `bytes`; null when it is not a well-formed one
 * (framing, cookie, padding, attribute lengths). Never throws on any input.
 */
export function decodeStun(bytes: Buffer): StunMessage | null {
  if (!looksLikeStun(bytes)) return null;
  const length = bytes.readUInt16BE(2);
  if ((length & 3) !== 0 || HEADER_BYTES + length !== bytes.length) return null;
  const type = bytes.readUInt16BE(0);
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = (((type >> 4) & 1) | ((type >> 7) & 2)) as StunClass;
  const attributes: StunAttribute[] = [];
  let integrityAt = -1;
  let fingerprintAt = -1;
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    if (at + 4 > bytes.length || attributes.length >= MAX_ATTRIBUTES) return null;
    const attrType = bytes.readUInt16BE(at);
    const attrLength = bytes.readUInt16BE(at + 2);
    const end = at + 4 + attrLength;
    if (at + 4 + pad4(attrLength) > bytes.length) return null;
    if (attrType === StunAttr.FINGERPRINT) {
      if (attrLength !== 4) return null;
      fingerprintAt = at;
      attributes.push({ type: attrType, value: bytes.subarray(at + 4, end), offset: at });
      break;
    }
    // RFC 8489 §14.5: after MESSAGE-INTEGRITY only FINGERPRINT counts.
    if (integrityAt === -1) {
      if (attrType === StunAttr.MESSAGE_INTEGRITY) {
        if (attrLength !== INTEGRITY_BYTES) return null;
        integrityAt = at;
      }
      attributes.push({ type: attrType, value: bytes.subarray(at + 4, end), offset: at });
    }
    at += 4 + pad4(attrLength);
  }
  return {
    method,
    cls,
    transactionId: bytes.subarray(8, HEADER_BYTES),
    raw: bytes,
    attributes,
    integrityAt,
    fingerprintAt,
  };
}

/** The first value of an attribute type, or undefined. */
export function getAttribute(message: StunMessage, type: number): Buffer | undefined {
  for (const a of message.attributes) if (a.type === type) return a.value;
  return undefined;
}

/** The long-term credential key: MD5(username ":" realm ":" password), RFC 8489 §9.2.2. */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

/** HMAC-SHA1 of the message up to `end`, with the header's Length patched to end there + 24. */
function integrityOf(raw: Buffer, end: number, key: Buffer): Buffer {
  const head = Buffer.from(raw.subarray(0, 4));
  head.writeUInt16BE(end - HEADER_BYTES + 4 + INTEGRITY_BYTES, 2);
  return createHmac('sha1', key).update(head).update(raw.subarray(4, end)).digest();
}

/** Checks MESSAGE-INTEGRITY in constant time; false when it is absent or wrong. */
export function verifyIntegrity(message: StunMessage, key: Buffer): boolean {
  const at = message.integrityAt;
  if (at === -1) return false;
  const expected = integrityOf(message.raw, at, key);
  return timingSafeEqual(expected, message.raw.subarray(at + 4, at + 4 + INTEGRITY_BYTES));
}

function fingerprintOf(raw: Buffer, end: number): number {
  const head = Buffer.from(raw.subarray(0, 4));
  head.writeUInt16BE(end - HEADER_BYTES + 8, 2);
  return (crc32(raw.subarray(4, end), crc32(head)) ^ FINGERPRINT_XOR) >>> 0;
}

/** Whether FINGERPRINT is present, and if so whether it matches. */
export function checkFingerprint(message: StunMessage): 'absent' | 'valid' | 'invalid' {
  const at = message.fingerprintAt;
  if (at === -1) return 'absent';
  return fingerprintOf(message.raw, at) === message.raw.readUInt32BE(at + 4) ? 'valid' : 'invalid';
}

export interface EncodeOptions {
  /** Appends MESSAGE-INTEGRITY keyed with this. */
  integrityKey?: Buffer;
  /** Appends FINGERPRINT (last). */
  fingerprint?: boolean;
}

/** Encodes a message: header, zero-padded attributes, then MESSAGE-INTEGRITY and FINGERPRINT. */
export function encodeStun(message: OutMessage, options: EncodeOptions = {}): Buffer {
  if (message.transactionId.length !== TRANSACTION_ID_BYTES) throw new RangeError('transaction id is 12 bytes');
  const values = (message.attributes ?? []).map((a) => ({
    type: a.type,
    value: typeof a.value === 'string' ? Buffer.from(a.value, 'utf8') : a.value,
  }));
  let size = HEADER_BYTES;
  for (const a of values) size += 4 + pad4(a.value.length);
  const bodyEnd = size;
  if (options.integrityKey !== undefined) size += 4 + INTEGRITY_BYTES;
  if (options.fingerprint === true) size += 8;
  const out = Buffer.alloc(size);
  out.writeUInt16BE(messageType(message.method, message.cls), 0);
  out.writeUInt16BE(size - HEADER_BYTES, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  message.transactionId.copy(out, 8);
  let at = HEADER_BYTES;
  for (const a of values) {
    if (a.value.length > 0xffff) throw new RangeError('attribute too long');
    out.writeUInt16BE(a.type, at);
    out.writeUInt16BE(a.value.length, at + 2);
    a.value.copy(out, at + 4);
    at += 4 + pad4(a.value.length);
  }
  if (options.integrityKey !== undefined) {
    out.writeUInt16BE(StunAttr.MESSAGE_INTEGRITY, at);
    out.writeUInt16BE(INTEGRITY_BYTES, at + 2);
    integrityOf(out, bodyEnd, options.integrityKey).copy(out, at + 4);
    at += 4 + INTEGRITY_BYTES;
  }
  if (options.fingerprint === true) {
    out.writeUInt16BE(StunAttr.FINGERPRINT, at);
    out.writeUInt16BE(4, at + 2);
    out.writeUInt32BE(fingerprintOf(out, at), at + 4);
  }
  return out;
}

/** The ERROR-CODE value: class (hundreds) and number, then the reason phrase. */
export function errorCodeValue(code: StunError): Buffer {
  const reason = Buffer.from(STUN_ERROR_REASONS[code], 'utf8');
  const out = Buffer.alloc(4 + reason.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  reason.copy(out, 4);
  return out;
}

/** A 32-bit big-endian attribute value (LIFETIME). */
export function u32Value(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n >>> 0, 0);
  return out;
}

/** The UNKNOWN-ATTRIBUTES value: the types, 16 bits each. */
export function unknownAttributesValue(types: readonly number[]): Buffer {
  const out = Buffer.alloc(types.length * 2);
  types.forEach((t, i) => {
    out.writeUInt16BE(t, i * 2);
  });
  return out;
}
